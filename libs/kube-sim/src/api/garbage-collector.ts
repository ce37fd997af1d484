// Owner-reference garbage collection: background deletion of dependents once the owner is
// gone, foreground deletion (dependents first, then the owner), and orphaning. An index of
// owner uid → dependents, kept current from store events, keeps this O(dependents).
import { ObjectStore } from '../store/object-store';
import { KubeObject, StoreEvent } from '../store/types';
import { KubeError } from './kube-error';
import type { ObjectService } from './object-service';
import { ResourceType, resourceKey } from './resource-types';

interface Ref {
  resourceKey: string;
  namespace: string | undefined;
  name: string;
}

const refId = (r: Ref): string => `${r.resourceKey}\u0000${r.namespace ?? ''}\u0000${r.name}`;

export class GarbageCollector {
  private readonly byOwner = new Map<string, Map<string, Ref>>();
  /** Owners marked for foreground or orphan deletion, waiting on their dependents. */
  private readonly waiting = new Map<string, Ref>();

  constructor(
    private readonly store: ObjectStore,
    private readonly objects: ObjectService,
  ) {
    store.subscribe((e) => this.index(e));
  }

  dependentsOf(owner: KubeObject): Array<{ type: ResourceType; obj: KubeObject }> {
    const refs = this.byOwner.get(owner.metadata.uid ?? '');
    if (!refs) return [];
    const out: Array<{ type: ResourceType; obj: KubeObject }> = [];
    for (const r of refs.values()) {
      const obj = this.store.get(r.resourceKey, r.namespace, r.name);
      const type = this.typeOf(r.resourceKey);
      if (obj && type) out.push({ type, obj });
    }
    return out;
  }

  /** Called once an owner is gone: dependents are deleted, or released when orphaning. */
  ownerRemoved(owner: KubeObject, orphan: boolean): void {
    // Asynchronous, like the real collector, so the DELETE answers first.
    queueMicrotask(() => {
      for (const { type, obj } of this.dependentsOf(owner)) {
        const remaining = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        if (orphan || remaining.length > 0) this.setOwners(type, obj, remaining);
        else this.tryDelete(type, obj, 'Background');
      }
      this.releaseWaiting();
    });
  }

  /** Called when DELETE marked an owner with the foregroundDeletion or orphan finalizer. */
  ownerMarked(type: ResourceType, owner: KubeObject): void {
    this.waiting.set(owner.metadata.uid ?? '', {
      resourceKey: resourceKey(type.group, type.plural),
      namespace: owner.metadata.namespace,
      name: owner.metadata.name ?? '',
    });
    queueMicrotask(() => {
      if ((owner.metadata.finalizers ?? []).includes('foregroundDeletion'))
        for (const { type: t, obj } of this.dependentsOf(owner))
          if (!obj.metadata.deletionTimestamp) this.tryDelete(t, obj, 'Foreground');
      this.releaseWaiting();
    });
  }

  /** Finalizes waiting owners whose dependents are gone (foreground) or released (orphan). */
  private releaseWaiting(): void {
    for (const [uid, ref] of [...this.waiting]) {
      const owner = this.store.get(ref.resourceKey, ref.namespace, ref.name);
      const type = this.typeOf(ref.resourceKey);
      if (!owner || owner.metadata.uid !== uid || !type) {
        this.waiting.delete(uid);
        continue;
      }
      const fin = owner.metadata.finalizers ?? [];
      if (fin.includes('orphan')) {
        for (const d of this.dependentsOf(owner))
          this.setOwners(
            d.type,
            d.obj,
            (d.obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
          );
        this.waiting.delete(uid);
        this.objects.finalize(type, owner, 'orphan');
      } else if (fin.includes('foregroundDeletion') && this.dependentsOf(owner).length === 0) {
        this.waiting.delete(uid);
        this.objects.finalize(type, owner, 'foregroundDeletion');
      }
    }
  }

  private setOwners(
    type: ResourceType,
    obj: KubeObject,
    ownerReferences: KubeObject['metadata']['ownerReferences'],
  ): void {
    this.store.put(resourceKey(type.group, type.plural), {
      ...obj,
      metadata: { ...obj.metadata, ownerReferences },
    });
  }

  private tryDelete(type: ResourceType, obj: KubeObject, propagationPolicy: string): void {
    try {
      this.objects.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', { propagationPolicy });
    } catch (e) {
      if (!(e instanceof KubeError && e.reason === 'NotFound')) throw e;
    }
  }

  private typeOf(key: string): ResourceType | undefined {
    return this.objects.registry.all().find((t) => resourceKey(t.group, t.plural) === key);
  }

  private index(e: StoreEvent): void {
    const ref: Ref = {
      resourceKey: e.resourceKey,
      namespace: e.object.metadata.namespace,
      name: e.object.metadata.name ?? '',
    };
    const id = refId(ref);
    for (const r of e.oldObject?.metadata.ownerReferences ?? []) this.byOwner.get(r.uid)?.delete(id);
    if (e.type === 'DELETED') {
      // A removed object cannot own anything new; its own entry goes when its dependents do.
      if (this.byOwner.get(e.object.metadata.uid ?? '')?.size === 0)
        this.byOwner.delete(e.object.metadata.uid ?? '');
    } else {
      for (const r of e.object.metadata.ownerReferences ?? []) {
        let set = this.byOwner.get(r.uid);
        if (!set) {
          set = new Map();
          this.byOwner.set(r.uid, set);
        }
        set.set(id, ref);
      }
    }
    if (e.type === 'DELETED' || e.type === 'MODIFIED') {
      for (const r of e.oldObject?.metadata.ownerReferences ?? [])
        if (this.byOwner.get(r.uid)?.size === 0) this.byOwner.delete(r.uid);
    }
    // A dependent leaving may unblock a foreground owner.
    if (e.type === 'DELETED' && this.waiting.size > 0) queueMicrotask(() => this.releaseWaiting());
  }
}
