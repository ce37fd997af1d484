// Readable field paths for drift: `spec.template.spec.containers[name=web].image`. Lists whose
// elements all carry a `name` are addressed by it (as the API server's merge keys mostly are);
// other lists are compared whole. managedFields' FieldsV1 keys map onto the same vocabulary.

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

/** Leaf paths with their values. Empty maps and lists are leaves too. */
export function flatten(value: unknown, base = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (v: unknown, path: string): void => {
    if (isMap(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) visit(child, join(path, k));
      return;
    }
    if (Array.isArray(v) && v.length > 0 && v.every((i) => isMap(i) && typeof i['name'] === 'string')) {
      for (const item of v as Record<string, unknown>[]) {
        const itemPath = `${path}[name=${String(item['name'])}]`;
        for (const [k, child] of Object.entries(item)) if (k !== 'name') visit(child, join(itemPath, k));
      }
      return;
    }
    out.set(path, v);
  };
  visit(value, base);
  return out;
}

/** The readable paths a FieldsV1 tree owns (leaves and whole keyed elements). */
export function ownedPaths(fieldsV1: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (node: unknown, path: string): void => {
    if (!isMap(node)) return;
    const children = Object.keys(node).filter((k) => k !== '.');
    if (children.length === 0 || '.' in node) if (path) out.add(path);
    for (const c of children) visit(node[c], segment(path, c));
  };
  visit(fieldsV1, '');
  return out;
}

function segment(base: string, key: string): string {
  if (key.startsWith('f:')) return join(base, key.slice(2));
  if (key.startsWith('k:')) {
    try {
      const k = JSON.parse(key.slice(2)) as Record<string, unknown>;
      return `${base}[${Object.entries(k)
        .map(([n, v]) => `${n}=${String(v)}`)
        .join(',')}]`;
    } catch {
      return `${base}[${key.slice(2)}]`;
    }
  }
  // v: (set members) and i: (indexes) are addressed as a whole list here.
  return base;
}

/** True when `path` is `owned` or lies under it (an owner of a whole element owns its fields). */
export function covers(owned: string, path: string): boolean {
  return path === owned || path.startsWith(`${owned}.`) || path.startsWith(`${owned}[`);
}
