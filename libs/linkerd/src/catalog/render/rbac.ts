// ServiceAccounts, ClusterRoles and bindings of the control plane. Cluster-scoped names carry the
// namespace (`linkerd-<ns>-identity`) like the chart, so two control planes would not collide.
import type { KubeObject } from '../yaml-bundle';
import { componentLabels, kubeObject, type RenderContext } from './render-context';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const READ = ['get', 'list', 'watch'];

const RULES: Record<'identity' | 'destination' | 'proxy-injector' | 'policy' | 'heartbeat', Rule[]> = {
  identity: [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
  destination: [
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: READ },
    { apiGroups: [''], resources: ['pods', 'endpoints', 'services', 'nodes'], verbs: READ },
    { apiGroups: ['linkerd.io'], resources: ['serviceprofiles'], verbs: READ },
    { apiGroups: ['workload.linkerd.io'], resources: ['externalworkloads'], verbs: READ },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  ],
  'proxy-injector': [
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: [''], resources: ['namespaces', 'replicationcontrollers'], verbs: READ },
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    {
      apiGroups: ['extensions', 'apps'],
      resources: ['deployments', 'replicasets', 'daemonsets', 'statefulsets'],
      verbs: READ,
    },
    { apiGroups: ['extensions', 'batch'], resources: ['cronjobs', 'jobs'], verbs: READ },
  ],
  policy: [
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
    { apiGroups: ['policy.linkerd.io'], resources: ['*'], verbs: READ },
    { apiGroups: ['policy.linkerd.io'], resources: ['httproutes/status'], verbs: ['patch'] },
    { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes', 'grpcroutes'], verbs: READ },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'patch'] },
  ],
  heartbeat: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
};

function clusterRole(ctx: RenderContext, name: string, component: string, rules: Rule[]): KubeObject {
  return kubeObject(
    ctx,
    'rbac.authorization.k8s.io/v1',
    'ClusterRole',
    name,
    { rules },
    {
      namespaced: false,
      labels: componentLabels(ctx, component),
    },
  );
}

function binding(ctx: RenderContext, name: string, role: string, sa: string, component: string): KubeObject {
  return kubeObject(
    ctx,
    'rbac.authorization.k8s.io/v1',
    'ClusterRoleBinding',
    name,
    {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ctx.namespace }],
    },
    { namespaced: false, labels: componentLabels(ctx, component) },
  );
}

export function serviceAccount(ctx: RenderContext, component: string): KubeObject {
  return kubeObject(
    ctx,
    'v1',
    'ServiceAccount',
    `linkerd-${component}`,
    {},
    {
      labels: componentLabels(ctx, component),
    },
  );
}

/** ClusterRole + binding + ServiceAccount of identity, destination or proxy-injector. */
export function componentRbac(
  ctx: RenderContext,
  component: 'identity' | 'destination' | 'proxy-injector',
): KubeObject[] {
  const name = `linkerd-${ctx.namespace}-${component}`;
  return [
    clusterRole(ctx, name, component, RULES[component]),
    binding(ctx, name, name, `linkerd-${component}`, component),
    serviceAccount(ctx, component),
  ];
}

/** The policy controller runs in the destination pod under its ServiceAccount. */
export function policyRbac(ctx: RenderContext): KubeObject[] {
  return [
    clusterRole(ctx, 'linkerd-policy', 'destination', RULES.policy),
    binding(ctx, 'linkerd-destination-policy', 'linkerd-policy', 'linkerd-destination', 'destination'),
  ];
}

export function heartbeatRbac(ctx: RenderContext): KubeObject[] {
  const labels = componentLabels(ctx, 'heartbeat');
  return [
    kubeObject(
      ctx,
      'rbac.authorization.k8s.io/v1',
      'Role',
      'linkerd-heartbeat',
      {
        rules: [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['linkerd-config'] },
        ],
      },
      { labels },
    ),
    kubeObject(
      ctx,
      'rbac.authorization.k8s.io/v1',
      'RoleBinding',
      'linkerd-heartbeat',
      {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'linkerd-heartbeat' },
        subjects: [{ kind: 'ServiceAccount', name: 'linkerd-heartbeat', namespace: ctx.namespace }],
      },
      { labels },
    ),
    clusterRole(ctx, 'linkerd-heartbeat', 'heartbeat', RULES.heartbeat),
    binding(ctx, 'linkerd-heartbeat', 'linkerd-heartbeat', 'linkerd-heartbeat', 'heartbeat'),
    serviceAccount(ctx, 'heartbeat'),
  ];
}
