// The simulated `linkerd viz install`: the objects a real render has (namespace, RBAC, the five
// components, their policy, the tap APIService and tap-injector webhook), reduced to the fields
// the checks, the agent and the simulator look at. No serving Secrets and no caBundle: the agent
// issues tap's and the tap injector's certificates in the cluster, as it does for the core's.
import { LABEL_EXTENSION } from '../../constants';
import type { KubeObject } from '../yaml-bundle';
import { extensionMeta, type ExtensionRenderContext } from './render-context';

export interface VizComponent {
  name: string;
  image: string;
  ports: Array<{ name: string; containerPort: number }>;
  /** Port of the Service a webhook or APIService reaches on 443, and the Secret it serves with. */
  tls?: { port: string; secret: string };
}

/** viz's Deployments: name, image, ports and the serving Secret of those behind a webhook or APIService. */
export function vizComponents(version: string): VizComponent[] {
  const img = (n: string) => `cr.l5d.io/linkerd/${n}:${version}`;
  return [
    {
      name: 'metrics-api',
      image: img('metrics-api'),
      ports: [
        { name: 'http', containerPort: 8085 },
        { name: 'admin', containerPort: 9995 },
      ],
    },
    { name: 'prometheus', image: 'prom/prometheus:v2.55.1', ports: [{ name: 'admin', containerPort: 9090 }] },
    {
      name: 'tap',
      image: img('tap'),
      ports: [
        { name: 'grpc', containerPort: 8088 },
        { name: 'apiserver', containerPort: 8089 },
        { name: 'admin', containerPort: 9998 },
      ],
      tls: { port: 'apiserver', secret: 'tap-k8s-tls' },
    },
    {
      name: 'tap-injector',
      image: img('tap'),
      ports: [
        { name: 'tap-injector', containerPort: 8443 },
        { name: 'admin', containerPort: 9995 },
      ],
      tls: { port: 'tap-injector', secret: 'tap-injector-k8s-tls' },
    },
    {
      name: 'web',
      image: img('web'),
      ports: [
        { name: 'http', containerPort: 8084 },
        { name: 'admin', containerPort: 9994 },
      ],
    },
  ];
}

const RBAC = 'rbac.authorization.k8s.io/v1';
const POLICY = 'policy.linkerd.io';

function rbacObjects(ctx: ExtensionRenderContext): KubeObject[] {
  const ns = ctx.namespace;
  const prefixed = (r: string) => `linkerd-${ns}-${r}`;
  const read = [
    { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['list', 'get', 'watch'] },
  ];
  // [ClusterRole, component, ServiceAccount bound to it ('' = none)]
  const roles: Array<[string, string, string]> = [
    [prefixed('metrics-api'), 'metrics-api', 'metrics-api'],
    [prefixed('prometheus'), 'prometheus', 'prometheus'],
    [prefixed('tap'), 'tap', 'tap'],
    [prefixed('tap-admin'), 'tap', ''],
    [prefixed('web-check'), 'web', 'web'],
    [prefixed('web-api'), 'web', 'web'],
    ['linkerd-tap-injector', 'tap-injector', 'tap-injector'],
  ];
  const out: KubeObject[] = [];
  for (const [name, component, sa] of roles) {
    out.push({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: extensionMeta(ctx, name, { component }),
      rules: read,
    });
    if (!sa) continue;
    out.push(binding(ctx, name, component, name, sa));
  }
  out.push(binding(ctx, prefixed('tap-auth-delegator'), 'tap', 'system:auth-delegator', 'tap'));
  out.push(binding(ctx, prefixed('web-admin'), 'web', prefixed('tap-admin'), 'web'));
  // The extension API server reads the front proxy's CA from kube-system, as every one does.
  out.push({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: extensionMeta(ctx, prefixed('tap-auth-reader'), { component: 'tap', namespace: 'kube-system' }),
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'extension-apiserver-authentication-reader',
    },
    subjects: [{ kind: 'ServiceAccount', name: 'tap', namespace: ns }],
  });
  // web reads linkerd-config: a Role in the control plane's namespace, the only object outside
  // the extension's namespace besides the kube-system RoleBinding.
  const web = extensionMeta(ctx, 'web', { component: 'web', namespace: 'linkerd' });
  out.push({
    apiVersion: RBAC,
    kind: 'Role',
    metadata: web,
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['linkerd-config'] },
    ],
  });
  out.push({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: web,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web' },
    subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: ctx.namespace }],
  });
  return out;
}

function binding(
  ctx: ExtensionRenderContext,
  name: string,
  component: string,
  role: string,
  sa: string,
): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: extensionMeta(ctx, name, { component }),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ctx.namespace }],
  };
}

function componentObjects(ctx: ExtensionRenderContext, c: VizComponent): KubeObject[] {
  const ns = ctx.namespace;
  const meta = (name: string) => extensionMeta(ctx, name, { component: c.name, namespace: ns });
  const podLabels = { [LABEL_EXTENSION]: ctx.extension, component: c.name };
  const servicePorts = c.ports
    .filter((p) => p.name !== 'admin' || c.name === 'prometheus')
    .map((p) =>
      c.tls?.port === p.name
        ? { name: p.name, port: 443, targetPort: p.name }
        : { name: p.name, port: p.containerPort, targetPort: p.containerPort },
    );
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...meta(c.name),
      labels: {
        ...meta(c.name).labels,
        'app.kubernetes.io/name': c.name,
        'app.kubernetes.io/part-of': 'Linkerd',
        'app.kubernetes.io/version': ctx.version,
      },
    },
    spec: {
      replicas: ctx.replicas,
      selector: { matchLabels: podLabels },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'linkerd.io/created-by': ctx.createdBy,
            'linkerd.io/inject': 'enabled',
            'config.alpha.linkerd.io/proxy-wait-before-exit-seconds': '0',
          },
        },
        spec: {
          serviceAccountName: c.name,
          containers: [
            {
              name: c.name,
              image: c.image,
              ports: c.ports,
              ...(c.tls
                ? { volumeMounts: [{ name: 'tls', mountPath: '/var/run/linkerd/tls', readOnly: true }] }
                : {}),
            },
          ],
          ...(c.tls ? { volumes: [{ name: 'tls', secret: { secretName: c.tls.secret } }] } : {}),
        },
      },
    },
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(c.name) },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(c.name),
      spec: { type: 'ClusterIP', selector: podLabels, ports: servicePorts },
    },
    deployment,
  ];
}

/** Servers and policies the chart ships: who may reach the components' ports. */
function policyObjects(ctx: ExtensionRenderContext): KubeObject[] {
  const ns = ctx.namespace;
  const meta = (name: string, component: string) => extensionMeta(ctx, name, { component, namespace: ns });
  const server = (name: string, component: string, port: string): KubeObject => ({
    apiVersion: `${POLICY}/v1beta3`,
    kind: 'Server',
    metadata: meta(name, component),
    spec: {
      podSelector: { matchLabels: { [LABEL_EXTENSION]: 'viz', component } },
      port,
      proxyProtocol: 'unknown',
    },
  });
  const authz = (
    name: string,
    component: string,
    target: string,
    authn: string,
    authnKind: string,
  ): KubeObject => ({
    apiVersion: `${POLICY}/v1alpha1`,
    kind: 'AuthorizationPolicy',
    metadata: meta(name, component),
    spec: {
      targetRef: { group: POLICY, kind: 'Server', name: target },
      requiredAuthenticationRefs: [{ group: POLICY, kind: authnKind, name: authn }],
    },
  });
  return [
    server('metrics-api', 'metrics-api', 'http'),
    authz('metrics-api', 'metrics-api', 'metrics-api', 'metrics-api-web', 'MeshTLSAuthentication'),
    {
      apiVersion: `${POLICY}/v1alpha1`,
      kind: 'MeshTLSAuthentication',
      metadata: meta('metrics-api-web', 'metrics-api'),
      spec: { identityRefs: [{ kind: 'ServiceAccount', name: 'web' }] },
    },
    server('prometheus-admin', 'prometheus', 'admin'),
    authz('prometheus-admin', 'prometheus', 'prometheus-admin', 'kubelet', 'NetworkAuthentication'),
    {
      apiVersion: `${POLICY}/v1alpha1`,
      kind: 'NetworkAuthentication',
      metadata: meta('kubelet', 'prometheus'),
      spec: { networks: [{ cidr: '0.0.0.0/0' }, { cidr: '::/0' }] },
    },
    server('tap-api', 'tap', 'apiserver'),
    authz('tap', 'tap', 'tap-api', 'kube-api-server', 'NetworkAuthentication'),
    server('tap-injector-webhook', 'tap-injector', 'tap-injector'),
    authz('tap-injector', 'tap-injector', 'tap-injector-webhook', 'kube-api-server', 'NetworkAuthentication'),
    {
      apiVersion: `${POLICY}/v1alpha1`,
      kind: 'NetworkAuthentication',
      metadata: meta('kube-api-server', 'tap'),
      spec: { networks: [{ cidr: '0.0.0.0/0' }, { cidr: '::/0' }] },
    },
  ];
}

function apiObjects(ctx: ExtensionRenderContext): KubeObject[] {
  const ns = ctx.namespace;
  return [
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: extensionMeta(ctx, 'v1alpha1.tap.linkerd.io', { component: 'tap' }),
      spec: {
        group: 'tap.linkerd.io',
        version: 'v1alpha1',
        groupPriorityMinimum: 1000,
        versionPriority: 100,
        service: { name: 'tap', namespace: ns },
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: extensionMeta(ctx, 'linkerd-tap-injector-webhook-config', {}),
      webhooks: [
        {
          name: 'tap-injector.linkerd.io',
          namespaceSelector: {
            matchExpressions: [
              { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
            ],
          },
          clientConfig: { service: { name: 'tap-injector', namespace: ns, path: '/' } },
          failurePolicy: 'Ignore',
          admissionReviewVersions: ['v1', 'v1beta1'],
          reinvocationPolicy: 'IfNeeded',
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          sideEffects: 'None',
        },
      ],
    },
  ];
}

export function renderViz(ctx: ExtensionRenderContext): KubeObject[] {
  const comps = vizComponents(ctx.version);
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ctx.namespace,
        labels: { ...ctx.commonLabels, 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
    ...rbacObjects(ctx),
    ...comps.flatMap((c) => componentObjects(ctx, c)),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: extensionMeta(ctx, 'prometheus-config', {
        component: 'prometheus',
        namespace: ctx.namespace,
      }),
      data: { 'prometheus.yml': 'global:\n  scrape_interval: 10s\n  scrape_timeout: 10s\n' },
    },
    ...policyObjects(ctx),
    ...apiObjects(ctx),
  ];
}
