// Field paths in the managedFields (FieldsV1) vocabulary: `f:spec`, `k:{"name":"web"}`.
// Server-side apply tracks ownership per leaf path; these helpers flatten objects into
// leaves, read/delete by path and convert to and from the FieldsV1 JSON form.
import { JsonObject } from '../store/types';
import { mergeKeyFor } from './list-keys';

export type FieldPath = string[];

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Server-owned metadata that no manager ever owns. */
const SERVER_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

export const pathKey = (p: FieldPath): string => p.join('\u0000');
export const keyPath = (k: string): FieldPath => (k === '' ? [] : k.split('\u0000'));

/** Leaf paths with their values; keyed list elements are addressed by key, atomic lists are leaves. */
export function leaves(obj: Record<string, unknown>, skipStatus: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (value: unknown, path: FieldPath, field: string): void => {
    if (isMap(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, `f:${k}`], k);
      return;
    }
    if (Array.isArray(value)) {
      const key = mergeKeyFor(field, value);
      if (key && value.every((v) => isMap(v) && v[key] !== undefined)) {
        for (const item of value as Record<string, unknown>[]) {
          const itemPath = [...path, `k:${JSON.stringify({ [key]: item[key] })}`];
          out.set(pathKey(itemPath), true);
          // The key field is a member of the set too, as in the API server's FieldsV1.
          for (const [k, v] of Object.entries(item)) visit(v, [...itemPath, `f:${k}`], k);
        }
        return;
      }
    }
    out.set(pathKey(path), value);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || (skipStatus && k === 'status')) continue;
    if (k === 'metadata' && isMap(v)) {
      for (const [mk, mv] of Object.entries(v))
        if (!SERVER_META.has(mk)) visit(mv, ['f:metadata', `f:${mk}`], mk);
      continue;
    }
    visit(v, [`f:${k}`], k);
  }
  return out;
}

function step(cur: unknown, seg: string): unknown {
  if (seg.startsWith('f:')) return isMap(cur) ? cur[seg.slice(2)] : undefined;
  if (seg.startsWith('k:') && Array.isArray(cur)) {
    const want = JSON.parse(seg.slice(2)) as Record<string, unknown>;
    return cur.find((i) => isMap(i) && Object.entries(want).every(([k, v]) => i[k] === v));
  }
  return undefined;
}

export function valueAt(obj: unknown, path: FieldPath): unknown {
  let cur = obj;
  for (const seg of path) {
    cur = step(cur, seg);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Deletes the field or keyed element at path (in place). */
export function deleteAt(obj: unknown, path: FieldPath): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!last) return;
  if (last.startsWith('f:') && isMap(parent)) delete parent[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const item = step(parent, last);
    const idx = parent.indexOf(item);
    if (idx >= 0) parent.splice(idx, 1);
  }
}

export function toFieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const key of paths) {
    let node = root;
    for (const seg of keyPath(key)) {
      const next = (node[seg] as JsonObject | undefined) ?? {};
      node[seg] = next;
      node = next;
    }
    // A keyed list element owned as a whole carries `.`; its fields are plain members.
    if (keyPath(key).at(-1)?.startsWith('k:')) node['.'] = node['.'] ?? {};
  }
  return root;
}

export function fromFieldsV1(fields: JsonObject): Set<string> {
  const out = new Set<string>();
  const visit = (node: JsonObject, path: FieldPath): void => {
    const children = Object.keys(node).filter((k) => k !== '.');
    if (children.length === 0) {
      if (path.length) out.add(pathKey(path));
      return;
    }
    if ('.' in node && path[path.length - 1]?.startsWith('k:')) out.add(pathKey(path));
    for (const c of children) visit(node[c] as JsonObject, [...path, c]);
  };
  visit(fields, []);
  return out;
}
