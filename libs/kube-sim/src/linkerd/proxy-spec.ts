// What the Linkerd proxy injector writes into a pod: containers, labels and annotations
// (linkerd.md §3.4). Used by the simulated injector and to build pre-installed control planes.
import { createHash } from 'node:crypto';
import { KubeObject } from '../store/types';

export interface InjectionConfig {
  version: string;
  controlPlaneNs: string;
  trustAnchorsPem: string;
  trustDomain: string;
  nativeSidecar: boolean;
  cniEnabled: boolean;
}

export const PROXY_IMAGE = 'cr.l5d.io/linkerd/proxy';
export const INIT_IMAGE = 'cr.l5d.io/linkerd/proxy-init';

export const trustRootSha256 = (pem: string): string => createHash('sha256').update(pem).digest('hex');

export function proxyContainer(cfg: InjectionConfig): Record<string, unknown> {
  return {
    name: 'linkerd-proxy',
    image: `${PROXY_IMAGE}:${cfg.version}`,
    ...(cfg.nativeSidecar ? { restartPolicy: 'Always' } : {}),
    ports: [
      { name: 'linkerd-proxy', containerPort: 4143, protocol: 'TCP' },
      { name: 'linkerd-admin', containerPort: 4191, protocol: 'TCP' },
    ],
    env: [
      { name: '_pod_name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: '_pod_sa', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'LINKERD2_PROXY_LOG', value: 'warn,linkerd=info,hickory=error' },
      {
        name: 'LINKERD2_PROXY_DESTINATION_SVC_ADDR',
        value: `linkerd-dst-headless.${cfg.controlPlaneNs}.svc.cluster.local.:8086`,
      },
      {
        name: 'LINKERD2_PROXY_IDENTITY_SVC_ADDR',
        value: `linkerd-identity-headless.${cfg.controlPlaneNs}.svc.cluster.local.:8080`,
      },
      { name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: cfg.trustAnchorsPem },
      {
        name: 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME',
        value: `$(_pod_sa).$(_pod_ns).serviceaccount.identity.${cfg.controlPlaneNs}.${cfg.trustDomain}`,
      },
      { name: 'LINKERD2_PROXY_INBOUND_LISTEN_ADDR', value: '0.0.0.0:4143' },
      { name: 'LINKERD2_PROXY_ADMIN_LISTEN_ADDR', value: '0.0.0.0:4191' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 4191 }, initialDelaySeconds: 2 },
    livenessProbe: { httpGet: { path: '/live', port: 4191 }, initialDelaySeconds: 10 },
    securityContext: {
      runAsUser: 2102,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
  };
}

export function initContainer(): Record<string, unknown> {
  return {
    name: 'linkerd-init',
    image: `${INIT_IMAGE}:v2.4.3`,
    args: [
      '--incoming-proxy-port',
      '4143',
      '--outgoing-proxy-port',
      '4140',
      '--proxy-uid',
      '2102',
      '--inbound-ports-to-ignore',
      '4190,4191',
    ],
    securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, runAsUser: 0, runAsNonRoot: false },
  };
}

/** The `linkerd.io/proxy-<kind>` label for a pod's owner, resolving ReplicaSets to Deployments. */
function ownerLabel(pod: KubeObject): Record<string, string> {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref) return {};
  if (ref.kind === 'ReplicaSet') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    if (hash && ref.name.endsWith(`-${hash}`))
      return { 'linkerd.io/proxy-deployment': ref.name.slice(0, -hash.length - 1) };
    return { 'linkerd.io/proxy-replicaset': ref.name };
  }
  return { [`linkerd.io/proxy-${ref.kind.toLowerCase()}`]: ref.name };
}

/** linkerd-config's `proxy.resources` (chart default: every value ""; values-ha.yaml sets some). */
export type ProxyResourceValues = Partial<
  Record<'cpu' | 'memory', Partial<Record<'request' | 'limit', string | number>>>
>;

/**
 * `config.linkerd.io/proxy-{cpu,memory}-{request,limit}` over linkerd-config's `proxy.resources`
 * → the proxy container's resources (an empty value sets nothing).
 */
function proxyResources(
  annotations: Record<string, string>,
  defaults: ProxyResourceValues = {},
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const kind of ['request', 'limit'] as const)
    for (const res of ['cpu', 'memory'] as const) {
      const v = annotations[`config.linkerd.io/proxy-${res}-${kind}`] ?? String(defaults[res]?.[kind] ?? '');
      if (!v) continue;
      const key = kind === 'request' ? 'requests' : 'limits';
      out[key] = { ...(out[key] ?? {}), [res]: v };
    }
  return out;
}

export function injectPod(
  pod: KubeObject,
  cfg: InjectionConfig,
  defaultResources: ProxyResourceValues = {},
): KubeObject {
  const spec = { ...(pod['spec'] as Record<string, unknown>) };
  const containers = [...((spec['containers'] as unknown[]) ?? [])];
  const inits = [...((spec['initContainers'] as unknown[]) ?? [])];
  const resources = proxyResources(pod.metadata.annotations ?? {}, defaultResources);
  const proxy = {
    ...proxyContainer(cfg),
    ...(Object.keys(resources).length ? { resources } : {}),
  };
  if (!cfg.cniEnabled) inits.unshift(initContainer());
  if (cfg.nativeSidecar) inits.push(proxy);
  else containers.unshift(proxy);
  spec['containers'] = containers;
  spec['initContainers'] = inits;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: {
        ...(pod.metadata.labels ?? {}),
        'linkerd.io/control-plane-ns': cfg.controlPlaneNs,
        'linkerd.io/workload-ns': pod.metadata.namespace ?? '',
        ...ownerLabel(pod),
      },
      annotations: {
        ...(pod.metadata.annotations ?? {}),
        'linkerd.io/created-by': `linkerd/proxy-injector ${cfg.version}`,
        'linkerd.io/proxy-version': cfg.version,
        'linkerd.io/trust-root-sha256': trustRootSha256(cfg.trustAnchorsPem),
        'linkerd.io/identity-mode': 'default',
      },
    },
    spec,
  };
}

/** A container or native-sidecar init container named linkerd-proxy (linkerd.md §4.1). */
export function hasProxy(pod: KubeObject): boolean {
  const spec = (pod['spec'] ?? {}) as {
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
  };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) => c.name === 'linkerd-proxy');
}
