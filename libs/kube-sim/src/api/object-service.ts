// API semantics on top of the raw store: names, uids, generations, optimistic concurrency,
// admission, finalizers, dry runs and garbage collection. HTTP handlers and the simulated
// controllers both write through here so they obey the same rules.
import { randomUUID } from 'node:crypto';
import { ObjectStore } from '../store/object-store';
import { KubeObject } from '../store/types';
import { recordUpdate, serverSideApply } from '../patch/server-side-apply';
import { applyJsonPatch } from '../patch/json-patch';
import { applyMergePatch } from '../patch/merge-patch';
import { applyStrategicMergePatch } from '../patch/strategic-merge';
import { GarbageCollector } from './garbage-collector';
import { alreadyExists, badRequest, conflict, invalid, KubeError, notFound, StatusCause } from './kube-error';
import { ResourceRegistry } from './registry';
import { ResourceType, resourceKey, tracksGeneration } from './resource-types';
import { ObjectFilter } from './selectors';
import { validateObject } from './validation';

export const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: 'status' | 'scale';
  /** Internal: create-by-apply brings its own managedFields. */
  keepManagedFields?: boolean;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface ListOptions {
  filter?: ObjectFilter;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

/** Runs on every create before storage (the proxy injector plugs in here). */
export type Mutator = (type: ResourceType, obj: KubeObject) => KubeObject;

const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SUFFIX_CHARS[Math.floor(Math.random() * SUFFIX_CHARS.length)];
  return s;
}

const specOf = (o: KubeObject): string => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(rest);
};

export class ObjectService {
  readonly mutators: Mutator[] = [];

  private readonly gc: GarbageCollector;

  constructor(
    readonly store: ObjectStore,
    readonly registry: ResourceRegistry,
  ) {
    this.gc = new GarbageCollector(store, this);
  }

  key(type: ResourceType): string {
    return resourceKey(type.group, type.plural);
  }

  type(apiVersion: string, kind: string): ResourceType {
    const t = this.registry.byKind(apiVersion, kind);
    if (!t) throw new KubeError('NotFound', `no matches for kind "${kind}" in version "${apiVersion}"`);
    return t;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(this.key(type), type.namespaced ? namespace : undefined, name);
    if (!obj) throw notFound(type.plural, type.group, name, type.kind);
    return obj;
  }

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(this.key(type), type.namespaced ? namespace : undefined, name);
  }

  list(type: ResourceType, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const all = this.store.list(this.key(type), type.namespaced ? namespace : undefined);
    const matching = opts.filter ? all.filter(opts.filter) : all;
    const rv = this.store.resourceVersion;
    let start = 0;
    if (opts.continueToken) {
      const token = decodeContinue(opts.continueToken);
      if (token.rv < this.store.oldestResumable)
        throw new KubeError(
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      start = matching.findIndex((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > token.after);
      if (start < 0) start = matching.length;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items = matching.slice(start, start + limit);
    const remaining = matching.length - start - items.length;
    if (remaining <= 0) return { items, resourceVersion: String(rv) };
    const last = items[items.length - 1]!;
    return {
      items,
      resourceVersion: String(rv),
      continueToken: encodeContinue(rv, `${last.metadata.namespace ?? ''}/${last.metadata.name}`),
      remainingItemCount: remaining,
    };
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    if (!body || typeof body !== 'object' || !body.metadata)
      throw badRequest('the request body must be an object with metadata');
    const meta = { ...body.metadata };
    if (type.namespaced) {
      const ns = meta.namespace ?? namespace;
      if (namespace && meta.namespace && meta.namespace !== namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      if (!ns) throw badRequest('a namespace is required');
      meta.namespace = ns;
      this.assertNamespaceWritable(ns, type);
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    const name = meta.name ?? '';
    let obj: KubeObject = {
      ...body,
      apiVersion: body.apiVersion || (type.group ? `${type.group}/${type.versions[0]}` : 'v1'),
      kind: body.kind || type.kind,
      metadata: meta,
    };
    obj = namespaceDefaults(type, secretDefaults(type, obj));
    // A custom resource with the status subresource gets its status only through /status.
    if (type.custom && type.subresources.includes('status')) delete obj['status'];
    const causes = validateObject(type, obj);
    if (causes.length) throw invalid(type.kind, type.group, name, causes);
    if (this.find(type, meta.namespace, name)) throw alreadyExists(type.plural, type.group, name);
    for (const m of this.mutators) obj = m(type, obj);
    const now = nowIso();
    obj.metadata = {
      ...obj.metadata,
      uid: randomUUID(),
      creationTimestamp: now,
      ...(tracksGeneration(type) ? { generation: 1 } : {}),
    };
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    if (opts.fieldManager !== undefined) obj = recordUpdate(undefined, obj, opts.fieldManager, now);
    else if (!opts.keepManagedFields) delete obj.metadata.managedFields;
    if (opts.dryRun) return obj;
    return this.store.put(this.key(type), obj);
  }

  /** PUT semantics: optimistic concurrency on metadata.resourceVersion when the client sends one. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    if (body?.metadata?.name && body.metadata.name !== name)
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    const sentRv = body?.metadata?.resourceVersion;
    if (sentRv && sentRv !== current.metadata.resourceVersion)
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    return this.commit(type, current, body, opts);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    opts: WriteOptions & { force?: boolean } = {},
  ): KubeObject {
    const current = this.find(type, namespace, name);
    if (patchType === 'apply') {
      const applied = patch as KubeObject;
      if (!applied || typeof applied !== 'object' || !applied.metadata)
        throw badRequest('apply patch must be an object');
      if (!opts.fieldManager) throw badRequest('PATCH with apply requires fieldManager');
      const merged = serverSideApply(current, applied, {
        manager: opts.fieldManager,
        force: !!opts.force,
        now: nowIso(),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      });
      if (!current) {
        // Create-by-apply keeps the managedFields the apply computed.
        const { fieldManager: _m, ...rest } = opts;
        return this.create(type, namespace, merged, { ...rest, keepManagedFields: true });
      }
      const { fieldManager: _m, ...rest } = opts;
      return this.commit(type, current, merged, rest, true);
    }
    if (!current) throw notFound(type.plural, type.group, name, type.kind);
    let next: unknown;
    if (patchType === 'json') next = applyJsonPatch(current, patch);
    else if (patchType === 'merge') next = applyMergePatch(current, patch);
    else next = applyStrategicMergePatch(current, patch);
    const nextObj = next as KubeObject;
    const sentRv = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
    if (patchType !== 'json' && sentRv && sentRv !== current.metadata.resourceVersion)
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    return this.commit(
      type,
      current,
      { ...nextObj, metadata: { ...nextObj.metadata, resourceVersion: current.metadata.resourceVersion } },
      opts,
    );
  }

  /** Shared tail of update/patch: subresource rules, generation, finalizer completion, storage. */
  private commit(
    type: ResourceType,
    current: KubeObject,
    body: KubeObject,
    opts: WriteOptions,
    applied = false,
  ): KubeObject {
    const hasStatus = type.subresources.includes('status');
    let next: KubeObject;
    if (opts.subresource === 'status') next = { ...current, status: body['status'] };
    else if (hasStatus) next = { ...body, status: current['status'] };
    else next = { ...body };
    if (next['status'] === undefined) delete next['status'];
    next.apiVersion = next.apiVersion || current.apiVersion;
    next.kind = next.kind || current.kind;
    const immutable = {
      name: current.metadata.name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.deletionTimestamp
        ? { deletionTimestamp: current.metadata.deletionTimestamp }
        : {}),
    };
    next.metadata = { ...(opts.subresource === 'status' ? current.metadata : next.metadata), ...immutable };
    if (!applied && opts.subresource !== 'status' && !next.metadata.managedFields)
      next.metadata.managedFields = current.metadata.managedFields ?? [];
    if (tracksGeneration(type)) {
      const gen = current.metadata.generation ?? 1;
      next.metadata.generation =
        opts.subresource !== 'status' && specOf(next) !== specOf(current) ? gen + 1 : gen;
    }
    if (opts.subresource !== 'status') {
      next = namespaceDefaults(type, secretDefaults(type, next));
      const causes = validateObject(type, next);
      if (causes.length) throw invalid(type.kind, type.group, current.metadata.name ?? '', causes);
    }
    const now = nowIso();
    if (opts.fieldManager !== undefined)
      next = recordUpdate(current, next, opts.fieldManager, now, opts.subresource);
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.removeNow(type, next);
    }
    if (
      JSON.stringify(next) === JSON.stringify({ ...current, metadata: { ...current.metadata } }) &&
      !applied
    )
      return current;
    return this.store.put(this.key(type), next);
  }

  /**
   * DELETE: objects with finalizers only get a deletionTimestamp; the rest go now and their
   * dependents are collected (background) or orphaned.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: {
      dryRun?: boolean;
      propagationPolicy?: string;
      preconditionUid?: string;
      preconditionRv?: string;
    } = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    if (opts.preconditionUid && opts.preconditionUid !== current.metadata.uid)
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: UID in precondition: ${opts.preconditionUid}, UID in object meta: ${current.metadata.uid}`,
      );
    if (opts.preconditionRv && opts.preconditionRv !== current.metadata.resourceVersion)
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (
      opts.propagationPolicy === 'Foreground' &&
      this.dependentsOf(current).length > 0 &&
      !finalizers.includes('foregroundDeletion')
    )
      finalizers.push('foregroundDeletion');
    if (
      opts.propagationPolicy === 'Orphan' &&
      !finalizers.includes('orphan') &&
      this.dependentsOf(current).length > 0
    )
      finalizers.push('orphan');
    const isNamespace = type.group === '' && type.plural === 'namespaces';
    if (finalizers.length > 0 || isNamespace) {
      if (current.metadata.deletionTimestamp) return current;
      const marked: KubeObject = {
        ...current,
        metadata: {
          ...current.metadata,
          finalizers,
          deletionTimestamp: nowIso(),
          deletionGracePeriodSeconds: 0,
        },
      };
      if (isNamespace) marked['status'] = { ...(current['status'] as object), phase: 'Terminating' };
      if (opts.dryRun) return marked;
      const stored = this.store.put(this.key(type), marked);
      // Foreground deletes dependents first; orphan releases them. Both finish in the collector.
      if (finalizers.includes('foregroundDeletion') || finalizers.includes('orphan'))
        this.gc.ownerMarked(type, stored);
      return stored;
    }
    if (opts.dryRun) return current;
    return this.removeNow(type, current);
  }

  /** Removes a finalized object and collects or orphans what it owned. */
  removeNow(type: ResourceType, obj: KubeObject): KubeObject {
    const gone = this.store.remove(this.key(type), obj) ?? obj;
    this.gc.ownerRemoved(obj, (obj.metadata.finalizers ?? []).includes('orphan'));
    if (type.group === 'apiextensions.k8s.io') this.registry.undefine(obj);
    return gone;
  }

  dependentsOf(owner: KubeObject): Array<{ type: ResourceType; obj: KubeObject }> {
    return this.gc.dependentsOf(owner);
  }

  /** Removes one finalizer (as its controller would) and completes the deletion when none remain. */
  finalize(type: ResourceType, obj: KubeObject, finalizer: string): void {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    const next = { ...obj, metadata: { ...obj.metadata, finalizers } };
    if (finalizers.length === 0 && next.metadata.deletionTimestamp) this.removeNow(type, next);
    else this.store.put(this.key(type), next);
  }

  /** Controller-side status write: no concurrency check, no managedFields churn. */
  writeStatus(type: ResourceType, obj: KubeObject, status: unknown): KubeObject | undefined {
    const live = this.find(type, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!live || live.metadata.uid !== obj.metadata.uid) return undefined;
    if (JSON.stringify(live['status']) === JSON.stringify(status)) return live;
    return this.store.put(this.key(type), { ...live, status });
  }

  /** Controller-side whole-object write keeping server-owned metadata. */
  writeObject(type: ResourceType, obj: KubeObject): KubeObject | undefined {
    const live = this.find(type, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!live || live.metadata.uid !== obj.metadata.uid) return undefined;
    return this.commit(
      type,
      live,
      { ...obj, metadata: { ...obj.metadata, resourceVersion: live.metadata.resourceVersion } },
      {},
    );
  }

  private assertNamespaceWritable(ns: string, type: ResourceType): void {
    const nsType = this.registry.find('', 'v1', 'namespaces')!;
    const nsObj = this.find(nsType, undefined, ns);
    if (!nsObj) throw notFound('namespaces', '', ns, 'Namespace');
    if (nsObj.metadata.deletionTimestamp && !(type.group === '' && type.plural === 'events'))
      throw new KubeError(
        'Forbidden',
        `${type.plural} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        {
          name: ns,
          kind: type.plural,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${ns} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
  }
}

function encodeContinue(rv: number, after: string): string {
  return Buffer.from(JSON.stringify({ rv, after })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; after: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      rv: number;
      after: string;
    };
    if (typeof parsed.rv === 'number' && typeof parsed.after === 'string') return parsed;
  } catch {
    // fall through: not base64url JSON
  }
  throw badRequest('invalid continue token');
}

export type { StatusCause };

/**
 * What the API server does to every Secret it stores: `type` defaults to Opaque, and the
 * write-only `stringData` is folded into `data` (base64) and never stored.
 */
function secretDefaults(type: ResourceType, obj: KubeObject): KubeObject {
  if (type.group !== '' || type.plural !== 'secrets') return obj;
  const { stringData, ...rest } = obj as KubeObject & { stringData?: Record<string, string> };
  const out: KubeObject = { ...rest, type: (obj['type'] as string | undefined) || 'Opaque' };
  if (!stringData) return out;
  const data = { ...((obj['data'] as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData))
    data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  return { ...out, data };
}

/**
 * The API server labels every Namespace with its own name (`kubernetes.io/metadata.name`) on
 * create and update, so selectors such as webhooks' namespaceSelector can rely on it.
 */
function namespaceDefaults(type: ResourceType, obj: KubeObject): KubeObject {
  if (type.group !== '' || type.plural !== 'namespaces' || !obj.metadata.name) return obj;
  if (obj.metadata.labels?.['kubernetes.io/metadata.name'] === obj.metadata.name) return obj;
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      labels: { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name },
    },
  };
}
