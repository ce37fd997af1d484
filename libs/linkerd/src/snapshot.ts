// What the agent's informer cache holds, as plain Kubernetes objects. Every function in this
// library is pure over a snapshot, so the agent, the API and tests share one implementation.
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1CustomResourceDefinition,
  V1DaemonSet,
  V1Deployment,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1Pod,
  V1Secret,
  V1ServiceAccount,
  V1ValidatingWebhookConfiguration,
  V1APIService,
  V1Node,
  V1Service,
  V1StatefulSet,
  V1Job,
  V1CronJob,
  V1PodDisruptionBudget,
} from '@kubernetes/client-node';

export interface ClusterSnapshot {
  /** `gitVersion` of the API server; null when the version endpoint could not be queried. */
  kubernetesVersion: string | null;
  namespaces: V1Namespace[];
  pods: V1Pod[];
  deployments: V1Deployment[];
  daemonSets: V1DaemonSet[];
  /** At least those of the control-plane (and viz) namespaces. */
  configMaps: V1ConfigMap[];
  /** At least those of the control-plane (and viz) namespaces. Private keys are never read out. */
  secrets: V1Secret[];
  crds: V1CustomResourceDefinition[];
  mutatingWebhooks: V1MutatingWebhookConfiguration[];
  validatingWebhooks: V1ValidatingWebhookConfiguration[];
  apiServices?: V1APIService[];
  /** Optional: when absent, the RBAC existence checks are skipped rather than failed. */
  serviceAccounts?: V1ServiceAccount[];
  clusterRoles?: V1ClusterRole[];
  clusterRoleBindings?: V1ClusterRoleBinding[];
  /** Optional (cluster-network checks): nodes for their podCIDRs, Services for their cluster IPs. */
  nodes?: V1Node[];
  services?: V1Service[];
  /** Optional (mesh adoption facts): absent when unserved or not granted; the facts then omit them. */
  statefulSets?: V1StatefulSet[];
  jobs?: V1Job[];
  cronJobs?: V1CronJob[];
  podDisruptionBudgets?: V1PodDisruptionBudget[];
  /** Evaluation time; injected so results are reproducible. */
  now: Date;
}
