// viz with an external Prometheus, as the chart renders it with `prometheusUrl` and
// `prometheus.enabled: false` (viz/cmd/testdata/install_prometheus_disabled.golden): no
// prometheus ServiceAccount, ClusterRole(Binding), ConfigMap, Service, Deployment or
// ServiceProfile; the metrics-api started with `-prometheus-url=<url>`; the Namespace annotated
// `viz.linkerd.io/external-prometheus`. The Servers and policies stay, as in the chart.
import type { KubeObject } from '../catalog/yaml-bundle';

export const ANNOTATION_EXTERNAL_PROMETHEUS = 'viz.linkerd.io/external-prometheus';
const PROM_URL_FLAG = '-prometheus-url=';

/** Whether the chart renders this object only for its bundled Prometheus. */
export function isBundledPrometheusObject(o: KubeObject, vizNamespace: string): boolean {
  if (o.apiVersion.startsWith('policy.linkerd.io/')) return false;
  if (o.kind === 'ServiceProfile') return o.metadata.name.startsWith(`prometheus.${vizNamespace}.svc.`);
  return o.metadata.labels?.['component'] === 'prometheus';
}

type Container = { name?: string; args?: string[] } & Record<string, unknown>;

function withPrometheusUrl(d: KubeObject, url: string): KubeObject {
  const spec = (d['spec'] ?? {}) as { template?: { spec?: { containers?: Container[] } } };
  const containers = spec.template?.spec?.containers ?? [];
  const next = containers.map((c) => {
    if (c.name !== 'metrics-api') return c;
    const args = (c.args ?? []).filter((a) => !a.startsWith(PROM_URL_FLAG));
    return { ...c, args: [...args, `${PROM_URL_FLAG}${url}`] };
  });
  return {
    ...d,
    spec: { ...spec, template: { ...spec.template, spec: { ...spec.template?.spec, containers: next } } },
  };
}

/** The viz bundle's objects for an external Prometheus at `url`; new objects, the input is not changed. */
export function withExternalPrometheus<T extends KubeObject>(
  objects: readonly T[],
  url: string,
  vizNamespace: string,
): T[] {
  return objects
    .filter((o) => !isBundledPrometheusObject(o, vizNamespace))
    .map((o) => {
      if (o.kind === 'Namespace' && o.metadata.name === vizNamespace)
        return {
          ...o,
          metadata: {
            ...o.metadata,
            annotations: { ...o.metadata.annotations, [ANNOTATION_EXTERNAL_PROMETHEUS]: url },
          },
        };
      if (o.kind === 'Deployment' && o.metadata.name === 'metrics-api') return withPrometheusUrl(o, url) as T;
      return o;
    });
}

/**
 * Checks a `prometheusUrl` as the API takes it: http or https, a host, no credentials (they would
 * be stored in the operation and shown in the namespace's annotation). Returns the reason it is
 * refused, or null.
 */
export function prometheusUrlProblem(url: string): string | null {
  if (url.length > 2048) return 'is longer than 2048 characters';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `has scheme ${u.protocol.replace(':', '')}, not http or https`;
  if (!u.hostname) return 'has no host';
  if (u.username || u.password)
    return 'carries credentials: give them to the metrics-api as the chart does (prometheusCredsSecret), not in the URL';
  if (/\s/.test(url)) return 'contains white space';
  return null;
}
