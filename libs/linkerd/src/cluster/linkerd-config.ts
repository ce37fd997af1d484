// Reads the `linkerd-config` ConfigMap (`data.values`: the chart values minus private keys).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

export interface LinkerdConfigValues {
  linkerdVersion: string | null;
  highAvailability: boolean;
  identityTrustAnchorsPEM: string | null;
  issuerScheme: 'linkerd.io/tls' | 'kubernetes.io/tls';
  externalCA: boolean;
  disableHeartBeat: boolean;
  cniEnabled: boolean;
  controllerReplicas: number | null;
  proxyVersion: string | null;
  /** Comma-separated CIDRs the proxies treat as in-cluster (`clusterNetworks`). */
  clusterNetworks: string | null;
  /** `proxy.nativeSidecar` (2.20 default true); null when the values do not say. */
  nativeSidecar: boolean | null;
  /** `proxy.opaquePorts`: the ports every proxy treats as opaque; null when the values do not say. */
  opaquePorts: string | null;
  /** `identity.serviceAccountTokenProjection`; null when the values do not say. */
  tokenProjection: boolean | null;
  /** `proxy.defaultInboundPolicy`: the cluster's default inbound policy; null when the values do not say. */
  defaultInboundPolicy: string | null;
}

export type LinkerdConfigParse = { ok: true; values: LinkerdConfigValues } | { ok: false; error: string };

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export function parseLinkerdConfig(cm: V1ConfigMap): LinkerdConfigParse {
  const raw = cm.data?.['values'];
  if (raw === undefined) return { ok: false, error: "linkerd-config has no 'values' key" };
  let doc: unknown;
  try {
    doc = parseYaml(raw);
  } catch (e) {
    return { ok: false, error: `linkerd-config values are not valid YAML: ${(e as Error).message}` };
  }
  if (doc === null || typeof doc !== 'object') return { ok: false, error: 'linkerd-config values are empty' };
  const scheme = get(doc, 'identity', 'issuer', 'scheme');
  const replicas = get(doc, 'controllerReplicas');
  return {
    ok: true,
    values: {
      linkerdVersion: str(get(doc, 'linkerdVersion')),
      highAvailability: get(doc, 'highAvailability') === true,
      identityTrustAnchorsPEM: str(get(doc, 'identityTrustAnchorsPEM')),
      issuerScheme: scheme === 'kubernetes.io/tls' ? 'kubernetes.io/tls' : 'linkerd.io/tls',
      externalCA: get(doc, 'identity', 'externalCA') === true,
      disableHeartBeat: get(doc, 'disableHeartBeat') === true,
      cniEnabled: get(doc, 'cniEnabled') === true,
      controllerReplicas: typeof replicas === 'number' ? replicas : null,
      proxyVersion: str(get(doc, 'proxy', 'image', 'version')),
      clusterNetworks: str(get(doc, 'clusterNetworks')),
      nativeSidecar: bool(get(doc, 'proxy', 'nativeSidecar')),
      opaquePorts: str(get(doc, 'proxy', 'opaquePorts')),
      tokenProjection: bool(get(doc, 'identity', 'serviceAccountTokenProjection')),
      defaultInboundPolicy: str(get(doc, 'proxy', 'defaultInboundPolicy')),
    },
  };
}
