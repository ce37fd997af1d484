// One in-memory store per cluster: objects by resource, a single resourceVersion counter,
// and a bounded event log that watches replay from. Stored objects are never mutated in
// place; every write stores a fresh object, so readers can share references safely.
import { KubeObject, StoreEvent } from './types';

const objectKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

export type StoreListener = (event: StoreEvent) => void;

/** Objects of one resource, by key and by namespace (a namespaced list reads only its own). */
interface Table {
  all: Map<string, KubeObject>;
  byNamespace: Map<string, Map<string, KubeObject>>;
}

export class ObjectStore {
  private rv = 0;
  private readonly tables = new Map<string, Table>();
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  /** How many events a watch can replay; older resourceVersions get 410 Gone. */
  constructor(private readonly logCapacity = 500) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch may still resume from. */
  get oldestResumable(): number {
    const first = this.log[0];
    return first ? first.rv - 1 : this.rv;
  }

  nextResourceVersion(): number {
    return ++this.rv;
  }

  get(resourceKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.tables.get(resourceKey)?.all.get(objectKey(namespace, name));
  }

  /** Sorted by namespace/name; a fresh array each call (the objects are shared). */
  list(resourceKey: string, namespace?: string): KubeObject[] {
    const table = this.tables.get(resourceKey);
    const scoped = namespace ? table?.byNamespace.get(namespace) : table?.all;
    if (!scoped) return [];
    // The map keys are the sort keys: no string is built per comparison.
    return [...scoped.keys()].sort(collator.compare).map((k) => scoped.get(k)!);
  }

  /** Every resource key that currently holds objects (used by GC and namespace deletion). */
  resourceKeys(): string[] {
    return [...this.tables.keys()];
  }

  /** Stores the object with a fresh resourceVersion and emits ADDED or MODIFIED. */
  put(resourceKey: string, object: KubeObject): KubeObject {
    let table = this.tables.get(resourceKey);
    if (!table) {
      table = { all: new Map(), byNamespace: new Map() };
      this.tables.set(resourceKey, table);
    }
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const old = table.all.get(key);
    const rv = this.nextResourceVersion();
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    table.all.set(key, stored);
    const ns = object.metadata.namespace;
    if (ns) {
      let inNamespace = table.byNamespace.get(ns);
      if (!inNamespace) {
        inNamespace = new Map();
        table.byNamespace.set(ns, inNamespace);
      }
      inNamespace.set(key, stored);
    }
    this.emit({
      type: old ? 'MODIFIED' : 'ADDED',
      resourceKey,
      object: stored,
      ...(old ? { oldObject: old } : {}),
      rv,
    });
    return stored;
  }

  remove(resourceKey: string, object: KubeObject): KubeObject | undefined {
    const table = this.tables.get(resourceKey);
    const key = objectKey(object.metadata.namespace, object.metadata.name ?? '');
    const old = table?.all.get(key);
    if (!table || !old) return undefined;
    table.all.delete(key);
    const ns = object.metadata.namespace;
    const inNamespace = ns ? table.byNamespace.get(ns) : undefined;
    inNamespace?.delete(key);
    if (ns && inNamespace?.size === 0) table.byNamespace.delete(ns);
    const rv = this.nextResourceVersion();
    const gone: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } };
    this.emit({ type: 'DELETED', resourceKey, object: gone, oldObject: old, rv });
    return gone;
  }

  /** Events after `rv` for one resource, or undefined when the log no longer reaches back that far. */
  eventsSince(resourceKey: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResumable) return undefined;
    return this.log.filter((e) => e.rv > rv && e.resourceKey === resourceKey);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.log.push(event);
    if (this.log.length > this.logCapacity) this.log.splice(0, this.log.length - this.logCapacity);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** The order String#localeCompare gives, without a collator built per comparison. */
const collator = new Intl.Collator();
