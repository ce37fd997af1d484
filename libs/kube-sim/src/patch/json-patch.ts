// RFC 6902 JSON Patch, the `application/json-patch+json` content type.
import { badRequest, KubeError } from '../api/kube-error';

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`json patch path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc: unknown, tokens: string[]): Container {
  let cur: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[token];
    else cur = undefined;
    if (cur === undefined || cur === null || typeof cur !== 'object')
      throw new KubeError('Invalid', `json patch: path segment "${token}" does not exist`);
  }
  return cur as Container;
}

function getAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const parent = walk(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  const value = Array.isArray(parent) ? parent[Number(last)] : parent[last];
  if (value === undefined) throw new KubeError('Invalid', `json patch: "${pointer}" does not exist`);
  return value;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const parent = walk(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length))
      throw new KubeError('Invalid', `json patch: index "${pointer}" out of range`);
    return parent.splice(i, 1)[0];
  }
  if (!(last in parent)) throw new KubeError('Invalid', `json patch: "${pointer}" does not exist`);
  const old = parent[last];
  delete parent[last];
  return old;
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const parent = walk(doc, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length))
      throw new KubeError('Invalid', `json patch: index "${pointer}" out of range`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(last in parent))
      throw new KubeError('Invalid', `json patch: "${pointer}" does not exist`);
    parent[last] = value;
  }
  return doc;
}

export function applyJsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json patch must be an array of operations');
  let doc: unknown = structuredClone(target);
  for (const raw of patch as Operation[]) {
    const value = raw.value === undefined ? undefined : structuredClone(raw.value);
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, value, false);
        break;
      case 'replace':
        doc = addAt(doc, raw.path, value, true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'move': {
        const moved = removeAt(doc, raw.from ?? '');
        doc = addAt(doc, raw.path, moved, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, raw.path, structuredClone(getAt(doc, raw.from ?? '')), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(value))
          throw new KubeError('Invalid', `json patch test failed at "${raw.path}"`);
        break;
      default:
        throw badRequest(`json patch: unknown op "${String((raw as { op: unknown }).op)}"`);
    }
  }
  return doc;
}
