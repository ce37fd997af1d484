{{- define "meshfleet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "meshfleet.labels" -}}
app.kubernetes.io/part-of: meshfleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "meshfleet.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "meshfleet.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "meshfleet.fullname" .)) -}}
{{- end -}}

{{- define "meshfleet.image" -}}
{{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- end -}}

{{/* Settings both processes read: the public URL, extra env, and the Secret's keys. */}}
{{- define "meshfleet.env" -}}
- name: NODE_ENV
  value: production
- name: MESHFLEET_PUBLIC_URL
  value: {{ required "publicUrl is required: the URL agents and users reach the API at (--set publicUrl=https://...)" .Values.publicUrl | quote }}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- range $key := list "DATABASE_URL" "REDIS_URL" "MESHFLEET_ENCRYPTION_KEYS" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "meshfleet.secretName" $ }}
      key: {{ $key }}
{{- end }}
- name: MESHFLEET_BOOTSTRAP_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "meshfleet.secretName" . }}
      key: MESHFLEET_BOOTSTRAP_ADMIN_KEY
      optional: true
{{- end -}}

{{- define "meshfleet.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end -}}
