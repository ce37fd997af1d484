// ReplicaSets: create or delete pods to match spec.replicas, report ready/available counts.
import type { SimCluster } from '../cluster/sim-cluster';
import { randomSuffix } from '../api/object-service';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { controllerRef, createPod, isOwnedBy, podReady, selfAndOwnerKeys, splitKey } from './helpers';

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** A pod object from a workload template, owned by `owner`. */
export function podFromTemplate(
  owner: KubeObject,
  template: PodTemplate,
  name: string,
  extraSpec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? '',
      labels: { ...(template.metadata?.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: {
      restartPolicy: 'Always',
      serviceAccountName: 'default',
      ...structuredClone(template.spec ?? {}),
      ...extraSpec,
    },
  };
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    return selfAndOwnerKeys(e, 'ReplicaSet', 'Deployment');
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const rsType = this.cluster.type('apps', 'replicasets');
    const podType = this.cluster.type('', 'pods');
    const rs = objects.find(rsType, ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = rs['spec'] as { replicas?: number; template: PodTemplate };
    const want = spec.replicas ?? 1;
    const pods = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, rs) && !p.metadata.deletionTimestamp);
    if (pods.length < want) {
      for (let i = pods.length; i < want; i++) {
        const pod = createPod(
          this.cluster,
          rs,
          podFromTemplate(rs, spec.template, `${name}-${randomSuffix()}`),
          'replicaset-controller',
        );
        this.cluster.events.record(
          rs,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${pod.metadata.name}`,
          'replicaset-controller',
        );
      }
    } else if (pods.length > want) {
      // Not-ready and newest pods go first, as the real controller prefers.
      const victims = [...pods].sort(
        (a, b) =>
          Number(podReady(a)) - Number(podReady(b)) ||
          String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
      );
      for (const p of victims.slice(0, pods.length - want)) {
        objects.delete(podType, ns, p.metadata.name ?? '');
        this.cluster.events.record(
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${p.metadata.name}`,
          'replicaset-controller',
        );
      }
    }
    const live = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, rs) && !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    objects.writeStatus(rsType, rs, {
      replicas: live.length,
      fullyLabeledReplicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    });
  }
}
