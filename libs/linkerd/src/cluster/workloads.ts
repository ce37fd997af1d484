// Which workload a pod belongs to, without listing ReplicaSets: the injector's
// `linkerd.io/proxy-<kind>` label when present, else the owner reference (a ReplicaSet named
// `<deployment>-<pod-template-hash>` stands for its Deployment).
import type { V1Pod } from '@kubernetes/client-node';
import type { WorkloadMtls } from '@meshfleet/agent-protocol';

export type WorkloadKind = WorkloadMtls['kind'];

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
}

const PROXY_LABELS: ReadonlyArray<[string, WorkloadKind]> = [
  ['linkerd.io/proxy-deployment', 'Deployment'],
  ['linkerd.io/proxy-statefulset', 'StatefulSet'],
  ['linkerd.io/proxy-daemonset', 'DaemonSet'],
  ['linkerd.io/proxy-cronjob', 'CronJob'],
  ['linkerd.io/proxy-job', 'Job'],
  ['linkerd.io/proxy-replicaset', 'ReplicaSet'],
];

const OWNER_KINDS: ReadonlySet<string> = new Set(['StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);

export function workloadOf(pod: V1Pod): WorkloadRef {
  const labels = pod.metadata?.labels ?? {};
  for (const [label, kind] of PROXY_LABELS) {
    const name = labels[label];
    if (name) return { kind, name };
  }
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return { kind: 'Pod', name: pod.metadata?.name ?? '' };
  if (owner.kind === 'ReplicaSet') {
    const hash = labels['pod-template-hash'];
    if (hash && owner.name.endsWith(`-${hash}`)) {
      return { kind: 'Deployment', name: owner.name.slice(0, -(hash.length + 1)) };
    }
  }
  return { kind: OWNER_KINDS.has(owner.kind) ? (owner.kind as WorkloadKind) : 'Other', name: owner.name };
}
