// Argo CD renderings: one Application per component and cluster (sync waves for an app of apps),
// or one ApplicationSet over all clusters whose RollingSync steps keep Linkerd's order.
import { stringify } from 'yaml';
import type { ClusterPlan, Component } from './components';
import type { DriftIgnore } from './drift-ignores';

export const ARGOCD_NAMESPACE = 'argocd';
const COMPONENT_LABEL = 'meshfleet.io/component';

type IgnoreDifference = {
  group: string;
  kind: string;
  name?: string;
  jsonPointers?: string[];
  jqPathExpressions?: string[];
};

export function ignoreDifferences(ignores: readonly DriftIgnore[]): IgnoreDifference[] {
  return ignores.map((i) => ({
    group: i.group,
    kind: i.kind,
    ...(i.name ? { name: i.name } : {}),
    ...(i.jq ? { jqPathExpressions: [...i.jq] } : { jsonPointers: [...i.pointers] }),
  }));
}

function syncOptions(c: Component): string[] {
  // RespectIgnoreDifferences: a sync must not overwrite what Linkerd rotated in the cluster.
  // ServerSideApply: the CRDs are too large for client-side apply's last-applied annotation.
  const opts = ['CreateNamespace=true', 'RespectIgnoreDifferences=true'];
  if (c.wave === 0) opts.push('ServerSideApply=true');
  return opts;
}

function application(plan: ClusterPlan, c: Component): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${plan.cluster.name}-${c.name}`,
      namespace: ARGOCD_NAMESPACE,
      labels: {
        'app.kubernetes.io/managed-by': 'meshfleet',
        'meshfleet.io/cluster-id': plan.cluster.id,
        [COMPONENT_LABEL]: c.name,
      },
      annotations: { 'argocd.argoproj.io/sync-wave': String(c.wave) },
    },
    spec: {
      project: 'default',
      destination: { name: plan.cluster.name, namespace: c.namespace },
      source: {
        repoURL: plan.source.repoURL,
        chart: c.chart,
        targetRevision: plan.source.chartVersion,
        helm: { releaseName: c.name, valuesObject: c.values },
      },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: syncOptions(c),
        managedNamespaceMetadata: { labels: c.namespaceLabels, annotations: c.namespaceAnnotations },
      },
      ...(c.ignores.length ? { ignoreDifferences: ignoreDifferences(c.ignores) } : {}),
    },
  };
}

export function argoApplications(plan: ClusterPlan): { path: string; object: Record<string, unknown> }[] {
  return plan.components.map((c) => ({
    path: `argocd/${plan.cluster.name}/${c.name}.application.yaml`,
    object: application(plan, c),
  }));
}

export function argoApplicationSet(plans: ClusterPlan[]): Record<string, unknown> {
  const elements = plans.flatMap((p) =>
    p.components.map((c) => ({
      cluster: p.cluster.name,
      clusterId: p.cluster.id,
      component: c.name,
      namespace: c.namespace,
      repoURL: p.source.repoURL,
      chart: c.chart,
      targetRevision: p.source.chartVersion,
      values: stringify(c.values, { lineWidth: 0 }),
      namespaceMetadata: { labels: c.namespaceLabels, annotations: c.namespaceAnnotations },
      syncOptions: syncOptions(c),
    })),
  );
  const order = [...new Set(plans.flatMap((p) => p.components.map((c) => `${c.wave}:${c.name}`)))]
    .sort()
    .map((k) => k.slice(k.indexOf(':') + 1));
  const ignores = new Map<string, DriftIgnore>();
  for (const p of plans)
    for (const c of p.components) for (const i of c.ignores) ignores.set(JSON.stringify(i), i);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: {
      name: 'linkerd',
      namespace: ARGOCD_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'meshfleet' },
    },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      // RollingSync syncs the CRDs of every cluster, then the control planes, then extensions.
      strategy: {
        type: 'RollingSync',
        rollingSync: {
          steps: order.map((name) => ({
            matchExpressions: [{ key: COMPONENT_LABEL, operator: 'In', values: [name] }],
          })),
        },
      },
      template: {
        metadata: {
          name: '{{ .cluster }}-{{ .component }}',
          labels: {
            'app.kubernetes.io/managed-by': 'meshfleet',
            'meshfleet.io/cluster-id': '{{ .clusterId }}',
            [COMPONENT_LABEL]: '{{ .component }}',
          },
        },
        spec: {
          project: 'default',
          destination: { name: '{{ .cluster }}', namespace: '{{ .namespace }}' },
          source: {
            repoURL: '{{ .repoURL }}',
            chart: '{{ .chart }}',
            targetRevision: '{{ .targetRevision }}',
            helm: { releaseName: '{{ .component }}', values: '{{ .values }}' },
          },
          ignoreDifferences: ignoreDifferences([...ignores.values()]),
        },
      },
      // Per-element objects (namespace metadata, sync options) cannot be written as template strings.
      templatePatch: [
        'spec:',
        '  syncPolicy:',
        '    syncOptions: {{ .syncOptions | toJson }}',
        '    managedNamespaceMetadata: {{ .namespaceMetadata | toJson }}',
        '',
      ].join('\n'),
    },
  };
}
