// CustomResourceDefinitions: registering the served resource and reporting NamesAccepted
// and Established, which `kubectl wait --for=condition=Established` waits for.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { resourceKey } from '../api/resource-types';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { setCondition, Condition } from './helpers';

export class CrdController implements Controller {
  readonly name = 'crd';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind !== 'CustomResourceDefinition') return [];
    if (e.type === 'DELETED') {
      this.dropInstances(e.object);
      return [];
    }
    return [e.object.metadata.name ?? ''];
  }

  reconcile(name: string): void {
    const type = this.cluster.type('apiextensions.k8s.io', 'customresourcedefinitions');
    const crd = this.cluster.objects.find(type, undefined, name);
    if (!crd || crd.metadata.deletionTimestamp) return;
    this.cluster.registry.defineFromCrd(crd);
    const spec = crd['spec'] as {
      names: Record<string, unknown>;
      versions: Array<{ name: string; storage?: boolean }>;
    };
    const status = (crd['status'] ?? {}) as { conditions?: Condition[] };
    const now = nowIso();
    let conditions = setCondition(
      status.conditions,
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
      now,
    );
    this.cluster.objects.writeStatus(type, crd, {
      conditions,
      acceptedNames: spec.names,
      storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
    });
  }

  /** Deleting a CRD deletes every instance of it. */
  private dropInstances(crd: KubeObject): void {
    const spec = crd['spec'] as { group: string; names: { plural: string } } | undefined;
    if (!spec) return;
    const key = resourceKey(spec.group, spec.names.plural);
    for (const o of this.cluster.store.list(key)) this.cluster.store.remove(key, o);
  }
}
