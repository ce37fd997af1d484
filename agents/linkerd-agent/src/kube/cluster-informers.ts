// The informers the agent runs: everything `linkerd check` and the mTLS status look at, plus
// nodes for the cluster facts. Config maps and secrets only in the Linkerd namespaces — the agent's
// RBAC does not (and should not) allow reading every Secret in the cluster.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ManagedInformer } from './managed-informer';

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
  const inf = <T extends k8s.KubernetesObject>(
    name: string,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
    notify = true,
  ) => new ManagedInformer<T>(name, kc, path, list, log, notify ? onChange : undefined);

  return {
    namespaces: inf('namespaces', '/api/v1/namespaces', () => core.listNamespace()),
    // Node status changes every few seconds and does not affect the report: no change signal.
    nodes: inf('nodes', '/api/v1/nodes', () => core.listNode(), false),
    pods: inf('pods', '/api/v1/pods', () => core.listPodForAllNamespaces()),
    deployments: inf('deployments', '/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces()),
    daemonSets: inf('daemonsets', '/apis/apps/v1/daemonsets', () => apps.listDaemonSetForAllNamespaces()),
    crds: inf('crds', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', () =>
      ext.listCustomResourceDefinition(),
    ),
    mutatingWebhooks: inf(
      'mutatingwebhookconfigurations',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      () => adm.listMutatingWebhookConfiguration(),
    ),
    validatingWebhooks: inf(
      'validatingwebhookconfigurations',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
      () => adm.listValidatingWebhookConfiguration(),
    ),
    configMaps: linkerdNamespaces.map((namespace) =>
      inf(`configmaps/${namespace}`, `/api/v1/namespaces/${namespace}/configmaps`, () =>
        core.listNamespacedConfigMap({ namespace }),
      ),
    ),
    secrets: linkerdNamespaces.map((namespace) =>
      inf(`secrets/${namespace}`, `/api/v1/namespaces/${namespace}/secrets`, () =>
        core.listNamespacedSecret({ namespace }),
      ),
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
  ] as ManagedInformer<k8s.KubernetesObject>[];
}
