// What `linkerd viz allow-scrapes --namespace <ns>` renders, for namespaces whose default inbound
// policy is deny: a Server on the proxies' admin port, routes for /metrics and the probes, and
// policies letting viz's Prometheus scrape and the kubelet probe. Labelled for viz, so its
// uninstall removes them.
import type { KubeObject } from '../catalog/yaml-bundle';
import { LABEL_EXTENSION } from '../constants';

const POLICY = 'policy.linkerd.io';

/** Kind and name of each object, as Meshfleet's prune keeps them and its RBAC names them. */
export const ALLOW_SCRAPES_OBJECTS = [
  ['Server', 'proxy-admin'],
  ['HTTPRoute', 'proxy-metrics'],
  ['HTTPRoute', 'proxy-probes'],
  ['AuthorizationPolicy', 'prometheus-scrape'],
  ['AuthorizationPolicy', 'proxy-probes'],
] as const;

export function allowScrapesObjects(
  namespace: string,
  o: { version: string; vizNamespace: string },
): KubeObject[] {
  const metadata = (name: string) => ({
    name,
    namespace,
    annotations: { 'linkerd.io/created-by': `linkerd-viz ${o.version}` },
    labels: { [LABEL_EXTENSION]: 'viz' },
  });
  const route = (name: string, paths: string[]): KubeObject => ({
    apiVersion: `${POLICY}/v1alpha1`,
    kind: 'HTTPRoute',
    metadata: metadata(name),
    spec: {
      parentRefs: [{ name: 'proxy-admin', kind: 'Server', group: POLICY }],
      rules: [{ matches: paths.map((value) => ({ path: { value } })) }],
    },
  });
  const policy = (name: string, route: string, authn: Record<string, string>): KubeObject => ({
    apiVersion: `${POLICY}/v1alpha1`,
    kind: 'AuthorizationPolicy',
    metadata: metadata(name),
    spec: {
      targetRef: { group: POLICY, kind: 'HTTPRoute', name: route },
      requiredAuthenticationRefs: [authn],
    },
  });
  return [
    {
      apiVersion: `${POLICY}/v1beta3`,
      kind: 'Server',
      metadata: metadata('proxy-admin'),
      spec: {
        podSelector: { matchExpressions: [{ key: 'linkerd.io/control-plane-ns', operator: 'Exists' }] },
        port: 'linkerd-admin',
        proxyProtocol: 'HTTP/1',
      },
    },
    route('proxy-metrics', ['/metrics']),
    route('proxy-probes', ['/live', '/ready']),
    policy('prometheus-scrape', 'proxy-metrics', {
      kind: 'ServiceAccount',
      name: 'prometheus',
      namespace: o.vizNamespace,
    }),
    policy('proxy-probes', 'proxy-probes', {
      kind: 'NetworkAuthentication',
      group: POLICY,
      name: 'kubelet',
      namespace: o.vizNamespace,
    }),
  ];
}

/** An allow-scrapes object outside the extension's namespace: kept by prune, never part of a bundle. */
export function isAllowScrapesObject(
  r: { kind: string; name: string; namespace?: string },
  extensionNamespace: string,
): boolean {
  return (
    r.namespace !== undefined &&
    r.namespace !== extensionNamespace &&
    ALLOW_SCRAPES_OBJECTS.some(([kind, name]) => kind === r.kind && name === r.name)
  );
}
