// Flux renderings per cluster: the namespaces, one HelmRepository, a HelmRelease per component
// chained with dependsOn, drift detection on with Linkerd's self-mutations ignored.
import type { ClusterPlan, Component } from './components';
import type { DriftIgnore } from './drift-ignores';

export const FLUX_NAMESPACE = 'flux-system';

export function driftIgnores(
  ignores: readonly DriftIgnore[],
): { paths: string[]; target: Record<string, string> }[] {
  return ignores.map((i) => ({
    paths: [...i.pointers],
    target: { ...(i.group ? { group: i.group } : {}), kind: i.kind, ...(i.name ? { name: i.name } : {}) },
  }));
}

function namespace(c: Component): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: c.namespace, labels: c.namespaceLabels, annotations: c.namespaceAnnotations },
  };
}

function helmRepository(plan: ClusterPlan): Record<string, unknown> {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmRepository',
    metadata: { name: plan.source.repoName, namespace: FLUX_NAMESPACE },
    spec: { interval: '1h', url: plan.source.repoURL },
  };
}

function helmRelease(
  plan: ClusterPlan,
  c: Component,
  previous: Component | undefined,
): Record<string, unknown> {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: {
      name: c.name,
      namespace: c.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'meshfleet', 'meshfleet.io/cluster-id': plan.cluster.id },
    },
    spec: {
      interval: '10m',
      releaseName: c.name,
      chart: {
        spec: {
          chart: c.chart,
          version: plan.source.chartVersion,
          sourceRef: { kind: 'HelmRepository', name: plan.source.repoName, namespace: FLUX_NAMESPACE },
          interval: '1h',
        },
      },
      ...(previous ? { dependsOn: [{ name: previous.name, namespace: previous.namespace }] } : {}),
      install: { remediation: { retries: 3 } },
      upgrade: { remediation: { retries: 3, strategy: 'rollback' } },
      driftDetection: { mode: 'enabled', ...(c.ignores.length ? { ignore: driftIgnores(c.ignores) } : {}) },
      values: c.values,
    },
  };
}

export function fluxObjects(plan: ClusterPlan): { path: string; object: Record<string, unknown> }[] {
  const dir = `flux/${plan.cluster.name}`;
  const namespaces = [...new Map(plan.components.map((c) => [c.namespace, c])).values()];
  return [
    ...namespaces.map((c) => ({ path: `${dir}/namespace-${c.namespace}.yaml`, object: namespace(c) })),
    { path: `${dir}/helmrepository.yaml`, object: helmRepository(plan) },
    ...plan.components.map((c, i) => ({
      path: `${dir}/${c.name}.helmrelease.yaml`,
      object: helmRelease(plan, c, plan.components[i - 1]),
    })),
  ];
}
