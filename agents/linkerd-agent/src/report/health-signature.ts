// What the health verdict turns on, as one string: the control plane's pods (ready, waiting or
// terminated reason, restarts) and workloads, the Linkerd Secrets and ConfigMaps (issuer, trust
// anchors) and the webhook configurations. When it differs from the one of the last report sent,
// the agent reports early instead of waiting for the periodic resend. Objects are read, never
// changed (they are the informers' cache).
import type * as k8s from '@kubernetes/client-node';
import type { ClusterSnapshot } from '@meshfleet/linkerd';

/** The parts of the agent's snapshot the verdict turns on. */
export type HealthInputs = Pick<
  ClusterSnapshot,
  'pods' | 'deployments' | 'secrets' | 'configMaps' | 'mutatingWebhooks' | 'validatingWebhooks'
>;

const key = (o: k8s.KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
/** Objects whose content matters as a whole: any write (new resourceVersion) counts. */
const versions = (objs: ReadonlyArray<k8s.KubernetesObject>) =>
  objs.map((o) => `${key(o)}@${o.metadata?.resourceVersion ?? ''}`).sort();

function podState(p: k8s.V1Pod): string {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
  const containers = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .map((c) => {
      const why =
        c.state?.waiting?.reason ?? c.state?.terminated?.reason ?? (c.state?.running ? 'Running' : '');
      return `${c.name}:${c.ready ? 1 : 0}:${why}:${c.restartCount}`;
    })
    .join(',');
  return `${key(p)}|${p.status?.phase ?? ''}|${ready}|${p.metadata?.deletionTimestamp ? 'deleting' : ''}|${containers}`;
}

export function healthSignature(inputs: HealthInputs, controlPlaneNamespace: string): string {
  const inCp = <T extends k8s.KubernetesObject>(objs: ReadonlyArray<T>) =>
    objs.filter((o) => o.metadata?.namespace === controlPlaneNamespace);
  const pods = inCp(inputs.pods).map(podState).sort();
  const deployments = inCp(inputs.deployments)
    .map((d) => {
      const s = d.status;
      return `${key(d)}|${d.spec?.replicas ?? ''}|${s?.readyReplicas ?? 0}|${s?.availableReplicas ?? 0}|${s?.updatedReplicas ?? 0}`;
    })
    .sort();
  return JSON.stringify([
    pods,
    deployments,
    versions(inputs.secrets),
    versions(inputs.configMaps),
    versions(inputs.mutatingWebhooks),
    versions(inputs.validatingWebhooks),
  ]);
}
