// One object's drift: the server-side-apply dry run of what Meshfleet applied (the API server's
// merge and defaulting included) against the live object. Only fields a re-apply would change
// count, so fields other managers added are not drift; each differing path is attributed to the
// live managedFields entry that owns it. Pure: the caller does the reads.
import type { DriftFinding } from '@meshfleet/agent-protocol';
import { parse } from 'yaml';
import { covers, flatten, ownedPaths } from './field-paths';
import { ignoredPath } from './ignore-rules';

export interface KubeLike {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    managedFields?: Array<{ manager?: string; operation?: string; time?: string | Date; fieldsV1?: unknown }>;
  } & Record<string, unknown>;
  [key: string]: unknown;
}

export interface DiffContext {
  /** Our own field manager: a field it owns live was changed by Meshfleet (a rotation, a restart). */
  selfManager: string;
  /** The workload's replicas are the HPA's to set. */
  hpaTargeted: boolean;
}

const VALUE_MAX = 200;
const PATH_MAX = 512;
/** Metadata the API server owns or that a dry run always changes. */
const KEPT_METADATA = ['labels', 'annotations'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Spec-like content: no status, no server metadata, no last-applied annotation. */
export function comparable(o: KubeLike): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status' || k === 'metadata') continue;
    out[k] = v;
  }
  const meta: Record<string, unknown> = {};
  for (const k of KEPT_METADATA) {
    const v = o.metadata?.[k] as Record<string, string> | undefined;
    if (!v) continue;
    const { [LAST_APPLIED]: _drop, ...rest } = v;
    if (Object.keys(rest).length) meta[k] = rest;
  }
  if (Object.keys(meta).length) out['metadata'] = meta;
  return out;
}

export function render(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX - 1)}…` : s;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Differing leaves; a ConfigMap value that is a YAML document is compared key by key inside. */
function differingPaths(desired: Record<string, unknown>, live: Record<string, unknown>, kind: string) {
  const d = flatten(desired);
  const l = flatten(live);
  const out: Array<{ path: string; desired: unknown; live: unknown }> = [];
  // Only what the dry run holds: a re-apply leaves fields others added alone.
  for (const [path, dv] of d) {
    const lv = l.get(path);
    if (same(dv, lv)) continue;
    if (
      kind === 'ConfigMap' &&
      path.startsWith('data.') &&
      typeof dv === 'string' &&
      typeof lv === 'string'
    ) {
      const inner = yamlDiff(dv, lv, path);
      if (inner) {
        out.push(...inner);
        continue;
      }
    }
    out.push({ path, desired: dv, live: lv });
  }
  return out;
}

function yamlDiff(a: string, b: string, base: string) {
  let da: unknown;
  let db: unknown;
  try {
    da = parse(a);
    db = parse(b);
  } catch {
    return null;
  }
  if (!da || !db || typeof da !== 'object' || typeof db !== 'object') return null;
  const fa = flatten(da, `${base}:`);
  const fb = flatten(db, `${base}:`);
  const paths = new Set([...fa.keys(), ...fb.keys()]);
  const out: Array<{ path: string; desired: unknown; live: unknown }> = [];
  for (const p of paths) {
    if (!same(fa.get(p), fb.get(p)))
      out.push({ path: p.replace(/:\./, ':'), desired: fa.get(p), live: fb.get(p) });
  }
  return out.length ? out : null;
}

interface Owner {
  manager: string;
  time: string | null;
  depth: number;
}

/** The live entry owning the path (or the closest enclosing element), latest write first. */
function ownerOf(live: KubeLike, path: string): Owner | null {
  // A value inside a ConfigMap document is owned with the whole data key.
  const fieldPath = path.includes(':') ? path.slice(0, path.indexOf(':')) : path;
  let best: Owner | null = null;
  for (const e of live.metadata?.managedFields ?? []) {
    if (!e.manager) continue;
    for (const owned of ownedPaths(e.fieldsV1)) {
      const depth = covers(owned, fieldPath)
        ? owned.length
        : covers(fieldPath, owned)
          ? fieldPath.length
          : -1;
      if (depth < 0) continue;
      const time = e.time ? new Date(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
      if (!best || depth > best.depth || (depth === best.depth && (time ?? '') > (best.time ?? '')))
        best = { manager: e.manager, time, depth };
    }
  }
  return best;
}

export function diffObject(dryRun: KubeLike, live: KubeLike, ctx: DiffContext): DriftFinding[] {
  const kind = live.kind ?? dryRun.kind ?? '';
  const ref = { kind, namespace: live.metadata?.namespace ?? null, name: live.metadata?.name ?? '' };
  const findings: DriftFinding[] = [];
  for (const d of differingPaths(comparable(dryRun), comparable(live), kind)) {
    if (ignoredPath(kind, d.path, ctx)) continue;
    const owner = ownerOf(live, d.path);
    if (owner?.manager === ctx.selfManager) continue;
    findings.push({
      reason: 'CHANGED',
      ...ref,
      path: d.path.length > PATH_MAX ? `${d.path.slice(0, PATH_MAX - 1)}…` : d.path,
      // Secret values are compared, never reported.
      desired: kind === 'Secret' ? (d.desired === undefined ? null : '(redacted)') : render(d.desired),
      live: kind === 'Secret' ? (d.live === undefined ? null : '(redacted)') : render(d.live),
      manager: owner?.manager ?? null,
      since: owner?.time ?? null,
    });
  }
  return findings;
}

export function deletedFinding(o: KubeLike): DriftFinding {
  return {
    reason: 'DELETED',
    kind: o.kind ?? '',
    namespace: o.metadata?.namespace ?? null,
    name: o.metadata?.name ?? '',
    path: '',
    desired: 'present',
    live: null,
    manager: null,
    since: null,
  };
}
