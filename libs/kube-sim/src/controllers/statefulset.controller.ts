// StatefulSets, minimally: ordinal pod names, replaced when the template changes.
import type { SimCluster } from '../cluster/sim-cluster';
import { StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { isOwnedBy, podReady, selfAndOwnerKeys, splitKey, templateHash } from './helpers';
import { PodTemplate, podFromTemplate } from './replicaset.controller';

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
    const spec = sts['spec'] as { replicas?: number; template: PodTemplate };
    const want = spec.replicas ?? 1;
    const revision = `${name}-${templateHash(spec.template)}`;
    const pods = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, sts) && !p.metadata.deletionTimestamp);
    for (const p of pods) {
      const ordinal = Number((p.metadata.name ?? '').slice(name.length + 1));
      if (ordinal >= want || p.metadata.labels?.['controller-revision-hash'] !== revision)
        objects.delete(podType, ns, p.metadata.name ?? '');
    }
    for (let i = 0; i < want; i++) {
      if (objects.find(podType, ns, `${name}-${i}`)) continue;
      const labels = {
        ...(spec.template.metadata?.labels ?? {}),
        'controller-revision-hash': revision,
        'statefulset.kubernetes.io/pod-name': `${name}-${i}`,
      };
      objects.create(
        podType,
        ns,
        podFromTemplate(
          sts,
          { ...spec.template, metadata: { ...(spec.template.metadata ?? {}), labels } },
          `${name}-${i}`,
          { hostname: `${name}-${i}` },
        ),
      );
    }
    const live = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, sts) && !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    objects.writeStatus(stsType, sts, {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: live.length,
      updatedReplicas: live.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision)
        .length,
      currentRevision: revision,
      updateRevision: revision,
    });
  }
}
