{{- define "meshfleet-agent.labels" -}}
app.kubernetes.io/name: meshfleet-agent
app.kubernetes.io/part-of: meshfleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "meshfleet-agent.validate" -}}
{{- if not (has .Values.mode (list "monitor" "managed")) -}}
{{- fail (printf "mode must be monitor or managed, not %q" (toString .Values.mode)) -}}
{{- end -}}
{{- $url := required "apiUrl is required: the Meshfleet API's public URL (--set apiUrl=https://...)" .Values.apiUrl -}}
{{- if not (regexMatch "^https?://[^/]+" $url) -}}
{{- fail (printf "apiUrl must be an http(s) URL, not %q" $url) -}}
{{- end -}}
{{- end -}}
