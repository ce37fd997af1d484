// The built-in resources the simulator serves. CRDs add more per cluster at runtime
// (see registry.ts); both are described the same way so discovery and routing stay generic.

export interface ResourceType {
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Array<'status' | 'scale' | 'log' | 'proxy' | 'eviction'>;
  /** Defined by a CRD (custom resources follow the CRD rules, e.g. a create drops status). */
  custom?: boolean;
  /** Create-only kinds (reviews) are not stored. */
  virtual?: boolean;
  /** Read-only, computed on request (metrics.k8s.io through the aggregator); implies virtual. */
  metrics?: boolean;
}

/** Storage key shared by every version of a resource. */
export const resourceKey = (group: string, plural: string): string => `${group}/${plural}`;

const t = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  subresources: ResourceType['subresources'] = [],
  shortNames?: string[],
): ResourceType => ({
  group,
  versions: [version],
  plural,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  subresources,
  ...(shortNames ? { shortNames } : {}),
  ...([
    'pods',
    'services',
    'deployments',
    'replicasets',
    'daemonsets',
    'statefulsets',
    'jobs',
    'cronjobs',
  ].includes(plural)
    ? { categories: ['all'] }
    : {}),
});

export const BUILTIN_TYPES: ResourceType[] = [
  t('', 'v1', 'Namespace', 'namespaces', false, ['status'], ['ns']),
  t('', 'v1', 'Node', 'nodes', false, ['status'], ['no']),
  t('', 'v1', 'Pod', 'pods', true, ['status', 'log', 'proxy', 'eviction'], ['po']),
  t('', 'v1', 'Service', 'services', true, ['status', 'proxy'], ['svc']),
  t('', 'v1', 'Endpoints', 'endpoints', true, [], ['ep']),
  t('', 'v1', 'ConfigMap', 'configmaps', true, [], ['cm']),
  t('', 'v1', 'Secret', 'secrets', true),
  t('', 'v1', 'ServiceAccount', 'serviceaccounts', true, [], ['sa']),
  t('', 'v1', 'Event', 'events', true, [], ['ev']),
  t('apps', 'v1', 'Deployment', 'deployments', true, ['status', 'scale'], ['deploy']),
  t('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['status', 'scale'], ['rs']),
  t('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['status'], ['ds']),
  t('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['status', 'scale'], ['sts']),
  t('batch', 'v1', 'Job', 'jobs', true, ['status']),
  t('batch', 'v1', 'CronJob', 'cronjobs', true, ['status'], ['cj']),
  t(
    'apiextensions.k8s.io',
    'v1',
    'CustomResourceDefinition',
    'customresourcedefinitions',
    false,
    ['status'],
    ['crd', 'crds'],
  ),
  t('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  t('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  t('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  t('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  t(
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
  ),
  t(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
  ),
  t('apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', false, ['status']),
  t('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, ['status'], ['pdb']),
  t('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['status'], ['hpa']),
  {
    ...t('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false),
    virtual: true,
  },
];

/** Kinds whose spec changes bump metadata.generation: workloads, CRDs and custom resources, not core data kinds. */
export function tracksGeneration(type: ResourceType): boolean {
  return type.group !== '';
}
