// The simulated `linkerd multicluster install`: the gateway, the local service mirror, the Link
// CRD (served versions as the chart has them) and the remote-access account other clusters'
// links use. Reduced like the viz render; no key material at all (the token Secret is filled
// by Kubernetes).
import type { KubeObject } from '../yaml-bundle';
import { extensionMeta, type ExtensionRenderContext } from './render-context';

const POLICY = 'policy.linkerd.io';
const RBAC = 'rbac.authorization.k8s.io/v1';
const PERMISSIVE_SCHEMA = {
  openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

function deployment(
  ctx: ExtensionRenderContext,
  name: string,
  selector: Record<string, string>,
  container: Record<string, unknown>,
  annotations: Record<string, string>,
): KubeObject {
  const meta = extensionMeta(ctx, name, { namespace: ctx.namespace });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta, labels: { ...meta.labels, ...selector, 'app.kubernetes.io/version': ctx.version } },
    spec: {
      replicas: ctx.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...selector, ...ctx.commonLabels },
          annotations: {
            'linkerd.io/created-by': ctx.createdBy,
            'linkerd.io/inject': 'enabled',
            ...annotations,
          },
        },
        spec: { serviceAccountName: name, containers: [container] },
      },
    },
  };
}

export function renderMulticluster(ctx: ExtensionRenderContext): KubeObject[] {
  const ns = ctx.namespace;
  const meta = (name: string) => extensionMeta(ctx, name, { namespace: ns });
  const remote = 'linkerd-service-mirror-remote-access-default';
  const localMirror = 'linkerd-local-service-mirror';
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { ...ctx.commonLabels, 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('linkerd-gateway') },
    deployment(
      ctx,
      'linkerd-gateway',
      { app: 'linkerd-gateway' },
      { name: 'pause', image: 'registry.k8s.io/pause:3.2' },
      {
        'config.linkerd.io/proxy-require-identity-inbound-ports': '4143',
        'config.linkerd.io/enable-gateway': 'true',
        'config.linkerd.io/default-inbound-policy': 'all-authenticated',
      },
    ),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('linkerd-gateway'),
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'linkerd-gateway' },
        ports: [
          { name: 'mc-gateway', port: 4143, protocol: 'TCP' },
          { name: 'mc-probe', port: 4191, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: `${POLICY}/v1beta3`,
      kind: 'Server',
      metadata: meta('linkerd-gateway'),
      spec: { podSelector: { matchLabels: { app: 'linkerd-gateway' } }, port: 'mc-gateway' },
    },
    {
      apiVersion: `${POLICY}/v1alpha1`,
      kind: 'AuthorizationPolicy',
      metadata: meta('linkerd-gateway'),
      spec: {
        targetRef: { group: POLICY, kind: 'Server', name: 'linkerd-gateway' },
        requiredAuthenticationRefs: [{ group: POLICY, kind: 'MeshTLSAuthentication', name: 'any-meshed' }],
      },
    },
    {
      apiVersion: `${POLICY}/v1alpha1`,
      kind: 'MeshTLSAuthentication',
      metadata: meta('any-meshed'),
      spec: { identities: ['*'] },
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: extensionMeta(ctx, remote, {}),
      rules: [
        {
          apiGroups: [''],
          resources: ['services', 'endpoints', 'namespaces'],
          verbs: ['list', 'get', 'watch'],
        },
      ],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(remote) },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        ...meta(`${remote}-token`),
        annotations: { ...meta(remote).annotations, 'kubernetes.io/service-account.name': remote },
      },
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: extensionMeta(ctx, remote, {}),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: remote },
      subjects: [{ kind: 'ServiceAccount', name: remote, namespace: ns }],
    },
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: extensionMeta(ctx, 'links.multicluster.linkerd.io', {}),
      spec: {
        group: 'multicluster.linkerd.io',
        scope: 'Namespaced',
        names: { plural: 'links', singular: 'link', kind: 'Link', listKind: 'LinkList' },
        versions: (['v1alpha1', 'v1alpha2', 'v1alpha3'] as const).map((name) => ({
          name,
          served: true,
          storage: name === 'v1alpha3',
          schema: PERMISSIVE_SCHEMA,
          ...(name === 'v1alpha3' ? { subresources: { status: {} } } : {}),
        })),
      },
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: extensionMeta(ctx, `${localMirror}-access-local-resources`, {}),
      rules: [
        {
          apiGroups: [''],
          resources: ['services', 'endpoints'],
          verbs: ['list', 'get', 'watch', 'create', 'update', 'delete'],
        },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: extensionMeta(ctx, `${localMirror}-access-local-resources`, {}),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `${localMirror}-access-local-resources`,
      },
      subjects: [{ kind: 'ServiceAccount', name: localMirror, namespace: ns }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(localMirror) },
    deployment(
      ctx,
      localMirror,
      { component: 'local-service-mirror' },
      {
        name: 'service-mirror',
        image: `cr.l5d.io/linkerd/controller:${ctx.version}`,
        ports: [{ containerPort: 9999, name: 'locsm-admin' }],
      },
      { 'config.alpha.linkerd.io/proxy-wait-before-exit-seconds': '0' },
    ),
  ];
}
