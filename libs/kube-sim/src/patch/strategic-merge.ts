// Strategic merge patch (`application/strategic-merge-patch+json`), the kind kubectl sends
// for `rollout restart`, `edit` and client-side apply. Keyed lists merge element-wise,
// `$patch: delete|replace` directives are honoured, ordering directives are ignored.
import { mergeKeyFor, SET_LISTS } from './list-keys';

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(current) ? current : [];
  if (SET_LISTS.has(field)) return [...new Set([...base, ...patch])];
  const key = mergeKeyFor(field, [...patch, ...base]);
  if (!key) return structuredClone(patch.filter((p) => !(isMap(p) && p['$patch'])));
  if (patch.some((p) => isMap(p) && p['$patch'] === 'replace'))
    return structuredClone(patch.filter((p) => !(isMap(p) && p['$patch'] === 'replace')));
  const out = base.map((b) => structuredClone(b));
  for (const item of patch) {
    if (!isMap(item)) continue;
    const idx = out.findIndex((o) => isMap(o) && o[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = applyStrategicMergePatch(out[idx], item);
    else out.push(applyStrategicMergePatch({}, item));
  }
  return out;
}

export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set(Array.isArray(value) ? value : []);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((v) => !drop.has(v));
      continue;
    }
    if (value === null) delete out[key];
    else if (Array.isArray(value)) out[key] = mergeList(key, out[key], value);
    else if (isMap(value)) out[key] = applyStrategicMergePatch(out[key], value);
    else out[key] = value;
  }
  return out;
}
