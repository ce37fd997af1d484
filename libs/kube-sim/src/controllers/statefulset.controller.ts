// StatefulSets: ordinal pod names, created in order (OrderedReady waits for each pod to be
// Running and Ready; Parallel does not), and a template change rolled out as Kubernetes does:
// RollingUpdate replaces one pod at a time from the highest ordinal down to the partition,
// waiting for every pod to be Ready in between; OnDelete only gives re-created pods the new
// revision. A restart is therefore as slow, and as safe, as on a real cluster.
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import {
  createPod,
  isOwnedBy,
  podPhase,
  podReady,
  selfAndOwnerKeys,
  splitKey,
  templateHash,
} from './helpers';
import { PodTemplate, podFromTemplate } from './replicaset.controller';

interface StatefulSetSpec {
  replicas?: number;
  template: PodTemplate;
  podManagementPolicy?: 'OrderedReady' | 'Parallel';
  updateStrategy?: { type?: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: { partition?: number } };
}

const REVISION = 'controller-revision-hash';

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    return selfAndOwnerKeys(e, 'StatefulSet', 'Node');
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const stsType = this.cluster.type('apps', 'statefulsets');
    const podType = this.cluster.type('', 'pods');
    const sts = objects.find(stsType, ns, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const spec = sts['spec'] as StatefulSetSpec;
    const want = spec.replicas ?? 1;
    const ordered = (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const updateRevision = `${name}-${templateHash(spec.template)}`;
    const prevStatus = (sts['status'] ?? {}) as { currentRevision?: string };
    const ordinal = (p: KubeObject): number => Number((p.metadata.name ?? '').slice(name.length + 1));
    const owned = (): KubeObject[] => objects.list(podType, ns).items.filter((p) => isOwnedBy(p, sts));
    const healthy = (p: KubeObject): boolean =>
      !p.metadata.deletionTimestamp && podPhase(p) === 'Running' && podReady(p);

    let pods = owned();
    // Scale down: the highest ordinal goes first, one at a time when ordered.
    const surplus = pods
      .filter((p) => ordinal(p) >= want && !p.metadata.deletionTimestamp)
      .sort((a, b) => ordinal(b) - ordinal(a));
    if (surplus.length) {
      const blocked = ordered && pods.some((p) => ordinal(p) < want && !healthy(p));
      for (const p of ordered ? surplus.slice(0, blocked ? 0 : 1) : surplus)
        objects.delete(podType, ns, p.metadata.name ?? '');
    }
    // Create missing ordinals with the update revision (as Kubernetes does for new pods).
    for (let i = 0; i < want; i++) {
      const existing = objects.find(podType, ns, `${name}-${i}`);
      if (existing) {
        if (ordered && !healthy(existing)) break;
        continue;
      }
      const labels = {
        ...(spec.template.metadata?.labels ?? {}),
        [REVISION]: updateRevision,
        'statefulset.kubernetes.io/pod-name': `${name}-${i}`,
        'apps.kubernetes.io/pod-index': String(i),
      };
      createPod(
        this.cluster,
        sts,
        podFromTemplate(
          sts,
          { ...spec.template, metadata: { ...(spec.template.metadata ?? {}), labels } },
          `${name}-${i}`,
          { hostname: `${name}-${i}` },
        ),
        'statefulset-controller',
      );
      if (ordered) break;
    }
    // Rolling update: one stale pod at a time, highest ordinal first, only while all are Ready.
    pods = owned();
    const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
    if (strategy === 'RollingUpdate') {
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const live = pods.filter((p) => ordinal(p) < want);
      const allHealthy = live.length === want && live.every(healthy);
      const stale = live
        .filter((p) => ordinal(p) >= partition && p.metadata.labels?.[REVISION] !== updateRevision)
        .sort((a, b) => ordinal(b) - ordinal(a));
      const next = stale[0];
      if (next && allHealthy) objects.delete(podType, ns, next.metadata.name ?? '');
    }
    const live = owned().filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    const updated = live.filter((p) => p.metadata.labels?.[REVISION] === updateRevision).length;
    const complete = updated === want && live.length === want;
    const currentRevision = complete ? updateRevision : (prevStatus.currentRevision ?? updateRevision);
    objects.writeStatus(stsType, sts, {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: live.filter((p) => p.metadata.labels?.[REVISION] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
      collisionCount: 0,
    });
  }
}
