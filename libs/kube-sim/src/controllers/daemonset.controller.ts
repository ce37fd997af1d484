// DaemonSets: one pod per Ready node, pinned with spec.nodeName. A template change rolls out
// within maxUnavailable (default 1 node at a time) or maxSurge (new pod first, old one goes
// when it is Ready); OnDelete leaves running pods alone.
import type { SimCluster } from '../cluster/sim-cluster';
import { randomSuffix } from '../api/object-service';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import {
  createPod,
  intOrPercent,
  isOwnedBy,
  nsName,
  podReady,
  selfAndOwnerKeys,
  splitKey,
  templateHash,
} from './helpers';
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
    const spec = ds['spec'] as {
      template: PodTemplate;
      updateStrategy?: {
        type?: 'RollingUpdate' | 'OnDelete';
        rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
      };
    };
    const template = spec.template;
    const hash = templateHash(template);
    const nodes = this.cluster.store.list('/nodes').filter(nodeReady);
    const owned = () =>
      objects.list(podType, ns).items.filter((p) => isOwnedBy(p, ds) && !p.metadata.deletionTimestamp);
    const nodeOf = (p: KubeObject): string => (p['spec'] as { nodeName?: string }).nodeName ?? '';
    const fresh = (p: KubeObject): boolean => p.metadata.labels?.['controller-revision-hash'] === hash;
    // Pods on nodes that are gone or not Ready go regardless of the update strategy.
    for (const p of owned())
      if (!nodes.some((n) => n.metadata.name === nodeOf(p)))
        objects.delete(podType, ns, p.metadata.name ?? '');
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const ru = spec.updateStrategy?.rollingUpdate ?? {};
    const surge = rolling ? intOrPercent(ru.maxSurge, nodes.length, true, '0') : 0;
    const maxUnavailable = rolling
      ? intOrPercent(ru.maxUnavailable, nodes.length, true, surge > 0 ? '0' : '1')
      : 0;
    if (rolling) {
      const byNode = new Map<string, KubeObject[]>();
      for (const p of owned()) byNode.set(nodeOf(p), [...(byNode.get(nodeOf(p)) ?? []), p]);
      // A node whose pods include no available one counts against maxUnavailable.
      let unavailable = nodes.filter((n) => !(byNode.get(n.metadata.name ?? '') ?? []).some(podReady)).length;
      let surged = [...byNode.values()].filter((list) => list.length > 1).length;
      for (const node of nodes) {
        const list = byNode.get(node.metadata.name ?? '') ?? [];
        const old = list.filter((p) => !fresh(p));
        const updated = list.find(fresh);
        if (!old.length) continue;
        if (updated) {
          // Surge: the old pod goes once its replacement is Ready.
          if (podReady(updated)) for (const p of old) objects.delete(podType, ns, p.metadata.name ?? '');
          continue;
        }
        const oldReady = old.some(podReady);
        if (!oldReady) {
          // An unavailable old pod is replaced at once: it is down already.
          for (const p of old) objects.delete(podType, ns, p.metadata.name ?? '');
        } else if (surge > 0 && surged < surge) {
          surged++;
          this.createOn(ds, template, hash, node.metadata.name ?? '');
        } else if (surge === 0 && unavailable < maxUnavailable) {
          unavailable++;
          for (const p of old) objects.delete(podType, ns, p.metadata.name ?? '');
        }
      }
    }
    const current = owned();
    for (const node of nodes) {
      if (current.some((p) => nodeOf(p) === node.metadata.name)) continue;
      this.createOn(ds, template, hash, node.metadata.name ?? '');
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
      updatedNumberScheduled: live.filter(fresh).length,
      observedGeneration: ds.metadata.generation ?? 1,
    });
  }

  private createOn(ds: KubeObject, template: PodTemplate, hash: string, node: string): void {
    const labeled = {
      ...template,
      metadata: {
        ...(template.metadata ?? {}),
        labels: { ...(template.metadata?.labels ?? {}), 'controller-revision-hash': hash },
      },
    };
    createPod(
      this.cluster,
      ds,
      podFromTemplate(ds, labeled, `${ds.metadata.name}-${randomSuffix()}`, { nodeName: node }),
      'daemonset-controller',
    );
  }
}
