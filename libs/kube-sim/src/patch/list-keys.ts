// Which lists merge by key instead of being replaced whole, for strategic merge patch and
// server-side apply. Kubernetes declares these per field in its Go types; the simulator
// recognises them by field name, which covers what the agent and kubectl send.

const BY_NAME = new Set([
  'containers',
  'initContainers',
  'ephemeralContainers',
  'env',
  'volumes',
  'imagePullSecrets',
]);

/** The merge key for list `field`, judging port lists by their elements; undefined = atomic list. */
export function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (BY_NAME.has(field)) return 'name';
  if (field === 'volumeMounts') return 'mountPath';
  if (field === 'conditions') return 'type';
  if (field === 'ownerReferences') return 'uid';
  if (field === 'ports') {
    const first = items.find((i) => i && typeof i === 'object') as Record<string, unknown> | undefined;
    if (first && 'containerPort' in first) return 'containerPort';
    return 'port';
  }
  return undefined;
}

/** Lists of scalars that merge as sets (patchStrategy "merge" on a primitive list). */
export const SET_LISTS = new Set(['finalizers']);
