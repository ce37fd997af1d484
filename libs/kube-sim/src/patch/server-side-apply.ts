// Server-side apply and managedFields bookkeeping. Each manager owns a set of leaf paths;
// applying merges the applied config, drops fields the manager stopped applying (unless
// someone else owns them), and refuses to change another manager's value without force.
import { KubeError, StatusCause } from '../api/kube-error';
import { KubeObject, ManagedFieldsEntry } from '../store/types';
import { deleteAt, fromFieldsV1, keyPath, leaves, toFieldsV1, valueAt } from './field-paths';
import { applyStrategicMergePatch } from './strategic-merge';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function ownership(obj: KubeObject): ManagedFieldsEntry[] {
  return (obj.metadata.managedFields ?? []).map((e) => ({ ...e }));
}

function readablePath(key: string): string {
  return keyPath(key)
    .map((s) => (s.startsWith('f:') ? s.slice(2) : `[${s.slice(2)}]`))
    .join('.')
    .replace(/\.\[/g, '[');
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  now: string;
  subresource?: string;
}

/** Returns the merged object with updated managedFields, or throws a 409 listing the conflicts. */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  const appliedLeaves = leaves(applied as Record<string, unknown>, opts.subresource !== 'status');
  const entries = live ? ownership(live) : [];
  const conflicts: StatusCause[] = [];
  for (const entry of entries) {
    if (entry.manager === opts.manager && entry.operation === 'Apply') continue;
    const owned = fromFieldsV1(entry.fieldsV1);
    for (const [key, value] of appliedLeaves) {
      if (!owned.has(key)) continue;
      if (!live || same(valueAt(live, keyPath(key)), value)) continue;
      if (opts.force) owned.delete(key);
      else
        conflicts.push({
          reason: 'FieldManagerConflict',
          message: `conflict with "${entry.manager}"${entry.operation === 'Update' ? ' using ' + entry.apiVersion : ''}`,
          field: `.${readablePath(key)}`,
        });
    }
    if (opts.force) entry.fieldsV1 = toFieldsV1(owned);
  }
  if (conflicts.length) {
    throw new KubeError(
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${conflicts.map((c) => `${c.message}: ${c.field}`).join(', ')}`,
      { causes: conflicts, name: applied.metadata.name ?? '', kind: applied.kind },
    );
  }
  const mine = entries.find((e) => e.manager === opts.manager && e.operation === 'Apply');
  const previouslyMine = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
  const othersOwn = new Set(entries.filter((e) => e !== mine).flatMap((e) => [...fromFieldsV1(e.fieldsV1)]));
  const { managedFields: _drop, ...appliedMeta } = applied.metadata;
  const merged = applyStrategicMergePatch(live ?? {}, { ...applied, metadata: appliedMeta }) as KubeObject;
  // Fields this manager applied before but not now are removed unless another manager holds them.
  const dropped = [...previouslyMine].filter((k) => !appliedLeaves.has(k) && !othersOwn.has(k));
  // Shortest first: a dropped list element goes whole, its own fields then find nothing.
  dropped.sort((a, b) => keyPath(a).length - keyPath(b).length);
  for (const key of dropped) deleteAt(merged, keyPath(key));
  const entry: ManagedFieldsEntry = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: applied.apiVersion,
    time: opts.now,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(appliedLeaves.keys()),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const rest = entries.filter((e) => e !== mine && Object.keys(e.fieldsV1).length > 0);
  merged.metadata = { ...merged.metadata, managedFields: [...rest, entry] };
  return merged;
}

/** Records an Update (PUT/PATCH/create) by `manager`: it takes ownership of every leaf it changed. */
export function recordUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  now: string,
  subresource?: string,
): KubeObject {
  const entries = old ? ownership(old) : [];
  const before = old
    ? leaves(old as Record<string, unknown>, subresource !== 'status')
    : new Map<string, unknown>();
  const after = leaves(next as Record<string, unknown>, subresource !== 'status');
  const changed = new Set<string>();
  for (const [key, value] of after) {
    if (subresource === 'status' && !key.startsWith('f:status')) continue;
    if (!before.has(key) || !same(before.get(key), value)) changed.add(key);
  }
  if (changed.size === 0) return { ...next, metadata: { ...next.metadata, managedFields: entries } };
  for (const e of entries) {
    const owned = fromFieldsV1(e.fieldsV1);
    for (const key of changed) owned.delete(key);
    // Fields that no longer exist are no longer owned by anyone.
    for (const key of [...owned]) if (!after.has(key)) owned.delete(key);
    e.fieldsV1 = toFieldsV1(owned);
  }
  let mine = entries.find(
    (e) => e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? ''),
  );
  if (!mine) {
    mine = {
      manager,
      operation: 'Update',
      apiVersion: next.apiVersion,
      time: now,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(subresource ? { subresource } : {}),
    };
    entries.push(mine);
  }
  const owned = fromFieldsV1(mine.fieldsV1);
  for (const key of changed) owned.add(key);
  mine.fieldsV1 = toFieldsV1(owned);
  mine.time = now;
  const kept = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
  return { ...next, metadata: { ...next.metadata, managedFields: kept } };
}
