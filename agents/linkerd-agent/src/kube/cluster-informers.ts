// The informers the agent runs: everything `linkerd check` and the mTLS status look at, plus
// nodes for the cluster facts. Config maps, secrets and service accounts only in the Linkerd
// namespaces — the agent's RBAC does not (and should not) allow reading every Secret in the
// cluster. ClusterRoles/Bindings only Linkerd's, selected by label on the server.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ManagedInformer, type InformerOptions, type ListFn } from './managed-informer';
import { stripPod, stripService, stripServiceAccount } from './strip-objects';

/** Labels every Linkerd control-plane / extension RBAC object carries (CLI and Helm renders). */
export const LINKERD_RBAC_SELECTORS = ['linkerd.io/control-plane-ns', 'linkerd.io/extension'] as const;

export interface ClusterInformers {
  namespaces: ManagedInformer<k8s.V1Namespace>;
  nodes: ManagedInformer<k8s.V1Node>;
  pods: ManagedInformer<k8s.V1Pod>;
  deployments: ManagedInformer<k8s.V1Deployment>;
  daemonSets: ManagedInformer<k8s.V1DaemonSet>;
  crds: ManagedInformer<k8s.V1CustomResourceDefinition>;
  mutatingWebhooks: ManagedInformer<k8s.V1MutatingWebhookConfiguration>;
  validatingWebhooks: ManagedInformer<k8s.V1ValidatingWebhookConfiguration>;
  configMaps: ManagedInformer<k8s.V1ConfigMap>[];
  secrets: ManagedInformer<k8s.V1Secret>[];
  /** Optional informers: a cluster (or an older agent role) may not serve or grant them. */
  apiServices: ManagedInformer<k8s.V1APIService>;
  services: ManagedInformer<k8s.V1Service>;
  serviceAccounts: ManagedInformer<k8s.V1ServiceAccount>[];
  clusterRoles: ManagedInformer<k8s.V1ClusterRole>[];
  clusterRoleBindings: ManagedInformer<k8s.V1ClusterRoleBinding>[];
  /** Mesh adoption facts (optional: an agent role from before them does not grant them). */
  statefulSets: ManagedInformer<k8s.V1StatefulSet>;
  jobs: ManagedInformer<k8s.V1Job>;
  cronJobs: ManagedInformer<k8s.V1CronJob>;
  podDisruptionBudgets: ManagedInformer<k8s.V1PodDisruptionBudget>;
}

export function createClusterInformers(
  kc: k8s.KubeConfig,
  linkerdNamespaces: string[],
  log: Logger,
  onChange: (resource: string) => void,
): ClusterInformers {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const reg = kc.makeApiClient(k8s.ApiregistrationV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const policy = kc.makeApiClient(k8s.PolicyV1Api);
  const inf = <T extends k8s.KubernetesObject>(
    name: string,
    path: string,
    list: ListFn<T>,
    options: Omit<InformerOptions<T>, 'onChange'> & { notify?: boolean } = {},
  ) =>
    new ManagedInformer<T>(name, kc, path, list, log, {
      ...options,
      ...(options.notify === false ? {} : { onChange }),
    });
  const optional = { optional: true } as const;

  return {
    namespaces: inf('namespaces', '/api/v1/namespaces', (page) => core.listNamespace(page)),
    // Node status changes every few seconds and does not affect the report: no change signal.
    nodes: inf('nodes', '/api/v1/nodes', (page) => core.listNode(page), { notify: false }),
    pods: inf('pods', '/api/v1/pods', (page) => core.listPodForAllNamespaces(page), { strip: stripPod }),
    deployments: inf('deployments', '/apis/apps/v1/deployments', (page) =>
      apps.listDeploymentForAllNamespaces(page),
    ),
    daemonSets: inf('daemonsets', '/apis/apps/v1/daemonsets', (page) =>
      apps.listDaemonSetForAllNamespaces(page),
    ),
    crds: inf('crds', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', (page) =>
      ext.listCustomResourceDefinition(page),
    ),
    mutatingWebhooks: inf(
      'mutatingwebhookconfigurations',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      (page) => adm.listMutatingWebhookConfiguration(page),
    ),
    validatingWebhooks: inf(
      'validatingwebhookconfigurations',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
      (page) => adm.listValidatingWebhookConfiguration(page),
    ),
    configMaps: linkerdNamespaces.map((namespace) =>
      inf(`configmaps/${namespace}`, `/api/v1/namespaces/${namespace}/configmaps`, (page) =>
        core.listNamespacedConfigMap({ namespace, ...page }),
      ),
    ),
    secrets: linkerdNamespaces.map((namespace) =>
      inf(`secrets/${namespace}`, `/api/v1/namespaces/${namespace}/secrets`, (page) =>
        core.listNamespacedSecret({ namespace, ...page }),
      ),
    ),
    apiServices: inf(
      'apiservices',
      '/apis/apiregistration.k8s.io/v1/apiservices',
      (page) => reg.listAPIService(page),
      optional,
    ),
    // Every namespace (cluster-network check over cluster IPs): cached stripped, 5,000 Services
    // keep only names, IPs, selector, ports and Linkerd annotations (the --proxy Service checks).
    services: inf('services', '/api/v1/services', (page) => core.listServiceForAllNamespaces(page), {
      ...optional,
      strip: stripService,
    }),
    serviceAccounts: linkerdNamespaces.map((namespace) =>
      inf(
        `serviceaccounts/${namespace}`,
        `/api/v1/namespaces/${namespace}/serviceaccounts`,
        (page) => core.listNamespacedServiceAccount({ namespace, ...page }),
        { ...optional, strip: stripServiceAccount },
      ),
    ),
    clusterRoles: LINKERD_RBAC_SELECTORS.map((labelSelector) =>
      inf(
        `clusterroles/${labelSelector}`,
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        (page) => rbac.listClusterRole({ labelSelector, ...page }),
        { ...optional, labelSelector },
      ),
    ),
    clusterRoleBindings: LINKERD_RBAC_SELECTORS.map((labelSelector) =>
      inf(
        `clusterrolebindings/${labelSelector}`,
        '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        (page) => rbac.listClusterRoleBinding({ labelSelector, ...page }),
        { ...optional, labelSelector },
      ),
    ),
    statefulSets: inf(
      'statefulsets',
      '/apis/apps/v1/statefulsets',
      (page) => apps.listStatefulSetForAllNamespaces(page),
      optional,
    ),
    // Job status changes with every run and only feeds the adoption facts: no change signal.
    jobs: inf('jobs', '/apis/batch/v1/jobs', (page) => batch.listJobForAllNamespaces(page), {
      ...optional,
      notify: false,
    }),
    cronJobs: inf('cronjobs', '/apis/batch/v1/cronjobs', (page) => batch.listCronJobForAllNamespaces(page), {
      ...optional,
      notify: false,
    }),
    // disruptionsAllowed moves with every pod restart: the next periodic report carries it.
    podDisruptionBudgets: inf(
      'poddisruptionbudgets',
      '/apis/policy/v1/poddisruptionbudgets',
      (page) => policy.listPodDisruptionBudgetForAllNamespaces(page),
      { ...optional, notify: false },
    ),
  };
}

export function allInformers(i: ClusterInformers): ManagedInformer<k8s.KubernetesObject>[] {
  return [
    i.namespaces,
    i.nodes,
    i.pods,
    i.deployments,
    i.daemonSets,
    i.crds,
    i.mutatingWebhooks,
    i.validatingWebhooks,
    ...i.configMaps,
    ...i.secrets,
    i.apiServices,
    i.services,
    ...i.serviceAccounts,
    ...i.clusterRoles,
    ...i.clusterRoleBindings,
    i.statefulSets,
    i.jobs,
    i.cronJobs,
    i.podDisruptionBudgets,
  ] as ManagedInformer<k8s.KubernetesObject>[];
}

/** The cached objects, or undefined when any of the informers cannot see its resource. */
export function optionalList<T extends k8s.KubernetesObject>(
  informers: ReadonlyArray<ManagedInformer<T>>,
): T[] | undefined {
  if (!informers.every((i) => i.available)) return undefined;
  // One object can match both RBAC selectors: de-duplicate by uid (name when there is none).
  const seen = new Set<string>();
  const out: T[] = [];
  for (const i of informers)
    for (const o of i.list()) {
      const key = o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(o);
    }
  return out;
}
