// Which serving-certificate Secrets a bundle's webhooks and APIServices need, found the way the
// API server reaches them: client → Service (in the bundle) → the port's targetPort → the
// workload whose pods the Service selects → the container exposing that port → the Secret
// volume that container mounts. Real renders (CLI, Helm with externalSecret) mount these Secrets
// without containing them; the simulated catalog contains them. Pure: no cluster access.
import type { BundleObject } from './bundle-objects';

/** A webhook of a (Mutating|Validating)WebhookConfiguration, or an APIService. */
export interface ServingClient {
  kind: string;
  name: string;
  /** The webhook's name inside its configuration; absent for an APIService. */
  webhook?: string;
}

export interface ServingSecretNeed {
  namespace: string;
  secretName: string;
  /** `<service>.<namespace>.svc` of every Service served with it. */
  dnsNames: string[];
  /** The bundle carries the Secret itself (its material comes from the placeholders). */
  inBundle: boolean;
  /** Whose caBundle must trust the certificate. */
  clients: ServingClient[];
  /** Linkerd's labels of the serving workload, for the Secret. */
  labels: Record<string, string>;
}

interface ServiceRef {
  name?: string;
  namespace?: string;
  port?: number;
}

interface PodSpecLike {
  containers?: Array<{
    ports?: Array<{ name?: string; containerPort?: number }>;
    volumeMounts?: Array<{ name: string; mountPath: string }>;
  }>;
  volumes?: Array<{ name: string; secret?: { secretName?: string } }>;
}

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
const WEBHOOK_CONFIGS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

function clientsOf(o: BundleObject): Array<{ client: ServingClient; service: ServiceRef }> {
  if (WEBHOOK_CONFIGS.has(o.kind)) {
    const hooks = (o.webhooks ?? []) as Array<{ name: string; clientConfig?: { service?: ServiceRef } }>;
    return hooks
      .filter((h) => h.clientConfig?.service)
      .map((h) => ({
        client: { kind: o.kind, name: o.metadata.name, webhook: h.name },
        service: h.clientConfig!.service!,
      }));
  }
  if (o.kind === 'APIService') {
    const service = (o.spec as { service?: ServiceRef } | undefined)?.service;
    return service ? [{ client: { kind: o.kind, name: o.metadata.name }, service }] : [];
  }
  return [];
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

function podSpec(o: BundleObject): { labels?: Record<string, string>; spec?: PodSpecLike } {
  const t = (o.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } })
    ?.template;
  return { labels: t?.metadata?.labels, spec: t?.spec };
}

/** The Secret the serving container mounts; when it mounts several, the one for TLS. */
function servingSecret(spec: PodSpecLike, targetPort: string | number): string | null {
  const containers = spec.containers ?? [];
  const exposing = containers.filter((c) =>
    (c.ports ?? []).some((p) => (typeof targetPort === 'string' ? p.name : p.containerPort) === targetPort),
  );
  const secretVolumes = new Map(
    (spec.volumes ?? []).filter((v) => v.secret?.secretName).map((v) => [v.name, v.secret!.secretName!]),
  );
  const mounted = (exposing.length ? exposing : containers).flatMap((c) =>
    (c.volumeMounts ?? [])
      .filter((m) => secretVolumes.has(m.name))
      .map((m) => ({ path: m.mountPath, secret: secretVolumes.get(m.name)! })),
  );
  const unique = [...new Map(mounted.map((m) => [m.secret, m])).values()];
  if (unique.length === 1) return unique[0]!.secret;
  const tls = unique.filter((m) => /tls/i.test(m.path) || /tls/i.test(m.secret));
  return tls.length === 1 ? tls[0]!.secret : null;
}

function linkerdLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k.startsWith('linkerd.io/')));
}

export function servingSecretsNeeded(objects: readonly BundleObject[]): ServingSecretNeed[] {
  const find = (kind: string, name: string, ns: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns);
  const needs = new Map<string, ServingSecretNeed>();
  for (const o of objects) {
    for (const { client, service: ref } of clientsOf(o)) {
      if (!ref.name || !ref.namespace) continue;
      const svc = find('Service', ref.name, ref.namespace);
      if (!svc) continue; // served by something outside the bundle
      const spec = svc.spec as
        | {
            selector?: Record<string, string>;
            ports?: Array<{ port: number; targetPort?: string | number }>;
          }
        | undefined;
      const port = (spec?.ports ?? []).find((p) => p.port === (ref.port ?? 443));
      if (!port || !spec?.selector) continue;
      const targetPort = port.targetPort ?? port.port;
      for (const w of objects) {
        if (!WORKLOADS.has(w.kind) || w.metadata.namespace !== ref.namespace) continue;
        const pod = podSpec(w);
        if (!pod.spec || !selects(spec.selector, pod.labels)) continue;
        const secretName = servingSecret(pod.spec, targetPort);
        if (!secretName) continue;
        const key = `${ref.namespace}/${secretName}`;
        const need = needs.get(key) ?? {
          namespace: ref.namespace,
          secretName,
          dnsNames: [],
          inBundle: !!find('Secret', secretName, ref.namespace),
          clients: [],
          labels: linkerdLabels((w.metadata as { labels?: Record<string, string> }).labels),
        };
        const dns = `${ref.name}.${ref.namespace}.svc`;
        if (!need.dnsNames.includes(dns)) need.dnsNames.push(dns);
        if (
          !need.clients.some(
            (c) => c.kind === client.kind && c.name === client.name && c.webhook === client.webhook,
          )
        )
          need.clients.push(client);
        needs.set(key, need);
      }
    }
  }
  return [...needs.values()];
}
