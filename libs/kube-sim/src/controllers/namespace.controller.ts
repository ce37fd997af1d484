// Namespaces: every new namespace gets its `default` ServiceAccount and phase Active; a
// deleted namespace empties itself (all namespaced objects), then its finalizer is released.
import type { SimCluster } from '../cluster/sim-cluster';
import { StoreEvent } from '../store/types';
import { Controller } from './controller-manager';

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind === 'Namespace' && e.type !== 'DELETED') return [e.object.metadata.name ?? ''];
    // A terminating namespace re-checks as its content disappears.
    if (e.type === 'DELETED' && e.object.metadata.namespace) return [e.object.metadata.namespace];
    return [];
  }

  reconcile(name: string): void {
    const objects = this.cluster.objects;
    const nsType = this.cluster.type('', 'namespaces');
    const ns = objects.find(nsType, undefined, name);
    if (!ns) return;
    if (!ns.metadata.deletionTimestamp) {
      const phase = (ns['status'] as { phase?: string } | undefined)?.phase;
      if (phase !== 'Active') objects.writeStatus(nsType, ns, { phase: 'Active' });
      const saType = this.cluster.type('', 'serviceaccounts');
      if (!objects.find(saType, name, 'default'))
        objects.create(saType, name, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace: name },
        });
      return;
    }
    let remaining = 0;
    for (const type of this.cluster.registry.all()) {
      if (!type.namespaced || type.virtual) continue;
      for (const o of objects.list(type, name).items) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        objects.delete(type, name, o.metadata.name ?? '', { propagationPolicy: 'Background' });
      }
    }
    if (remaining === 0) objects.removeNow(nsType, ns);
  }
}
