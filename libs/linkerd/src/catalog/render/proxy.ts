// The proxy the chart renders into each control-plane pod (the injector cannot inject its own
// control plane). Trust anchors come from the trust-roots ConfigMap, never inline.
import { PROXY_CONTAINER, TRUST_ANCHORS_ENV, TRUST_ROOTS_CONFIG_MAP, TRUST_ROOTS_KEY } from '../../constants';
import { placeholder } from '../placeholders';
import { nativeSidecar } from './chart-values';
import { image, type RenderContext } from './render-context';

function proxyContainer(ctx: RenderContext): Record<string, unknown> {
  const identity = `identity.${ctx.namespace}.${placeholder('trustDomain')}`;
  return {
    name: PROXY_CONTAINER,
    image: image(ctx, 'proxy'),
    ...(nativeSidecar(ctx) ? { restartPolicy: 'Always' } : {}),
    env: [
      { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: '_pod_sa', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      {
        name: 'LINKERD2_PROXY_DESTINATION_SVC_ADDR',
        value: `linkerd-dst-headless.${ctx.namespace}.svc.cluster.local.:8086`,
      },
      {
        name: 'LINKERD2_PROXY_IDENTITY_SVC_ADDR',
        value: `linkerd-identity-headless.${ctx.namespace}.svc.cluster.local.:8080`,
      },
      {
        name: 'LINKERD2_PROXY_IDENTITY_LOCAL_NAME',
        value: `$(_pod_sa).$(_pod_ns).serviceaccount.${identity}`,
      },
      {
        name: 'LINKERD2_PROXY_IDENTITY_SVC_NAME',
        value: `linkerd-identity.${ctx.namespace}.serviceaccount.${identity}`,
      },
      {
        name: TRUST_ANCHORS_ENV,
        valueFrom: { configMapKeyRef: { name: TRUST_ROOTS_CONFIG_MAP, key: TRUST_ROOTS_KEY } },
      },
    ],
    ports: [
      { name: 'linkerd-proxy', containerPort: 4143 },
      { name: 'linkerd-admin', containerPort: 4191 },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: 4191 }, initialDelaySeconds: 2 },
    livenessProbe: { httpGet: { path: '/live', port: 4191 }, initialDelaySeconds: 10 },
    securityContext: { runAsUser: 2102, runAsNonRoot: true, readOnlyRootFilesystem: true },
  };
}

const PROXY_INIT = {
  name: 'linkerd-init',
  image: 'cr.l5d.io/linkerd/proxy-init:v2.4.3',
  args: ['--incoming-proxy-port', '4143', '--outgoing-proxy-port', '4140', '--proxy-uid', '2102'],
  securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] }, runAsUser: 65534 },
};

/** Pod spec additions: `linkerd-init`, then the proxy as native sidecar (2.20) or first container. */
export function withProxy(
  ctx: RenderContext,
  containers: Array<Record<string, unknown>>,
): { initContainers: unknown[]; containers: unknown[] } {
  const proxy = proxyContainer(ctx);
  return nativeSidecar(ctx)
    ? { initContainers: [PROXY_INIT, proxy], containers }
    : { initContainers: [PROXY_INIT], containers: [proxy, ...containers] };
}
