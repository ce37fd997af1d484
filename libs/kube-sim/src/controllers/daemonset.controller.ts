// DaemonSets: one pod per Ready node, pinned with spec.nodeName.
import type { SimCluster } from '../cluster/sim-cluster';
import { randomSuffix } from '../api/object-service';
import { StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { isOwnedBy, nsName, podReady, selfAndOwnerKeys, splitKey, templateHash } from './helpers';
import { nodeReady } from './kubelet';
import { PodTemplate, podFromTemplate } from './replicaset.controller';

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind === 'Node') return this.cluster.store.list('apps/daemonsets').map(nsName);
    return selfAndOwnerKeys(e, 'DaemonSet', 'Node');
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const dsType = this.cluster.type('apps', 'daemonsets');
    const podType = this.cluster.type('', 'pods');
    const ds = objects.find(dsType, ns, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const template = (ds['spec'] as { template: PodTemplate }).template;
    const hash = templateHash(template);
    const nodes = this.cluster.store.list('/nodes').filter(nodeReady);
    const pods = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, ds) && !p.metadata.deletionTimestamp);
    const nodeOf = (p: (typeof pods)[number]): string => (p['spec'] as { nodeName?: string }).nodeName ?? '';
    for (const p of pods) {
      const stale = p.metadata.labels?.['controller-revision-hash'] !== hash;
      if (stale || !nodes.some((n) => n.metadata.name === nodeOf(p)))
        objects.delete(podType, ns, p.metadata.name ?? '');
    }
    const current = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, ds) && !p.metadata.deletionTimestamp);
    for (const node of nodes) {
      if (current.some((p) => nodeOf(p) === node.metadata.name)) continue;
      const labeled = {
        ...template,
        metadata: {
          ...(template.metadata ?? {}),
          labels: { ...(template.metadata?.labels ?? {}), 'controller-revision-hash': hash },
        },
      };
      objects.create(
        podType,
        ns,
        podFromTemplate(ds, labeled, `${name}-${randomSuffix()}`, { nodeName: node.metadata.name ?? '' }),
      );
    }
    const live = objects
      .list(podType, ns)
      .items.filter((p) => isOwnedBy(p, ds) && !p.metadata.deletionTimestamp);
    const ready = live.filter(podReady).length;
    objects.writeStatus(dsType, ds, {
      currentNumberScheduled: live.length,
      desiredNumberScheduled: nodes.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      ...(nodes.length - ready > 0 ? { numberUnavailable: nodes.length - ready } : {}),
      updatedNumberScheduled: live.length,
      observedGeneration: ds.metadata.generation ?? 1,
    });
  }
}
