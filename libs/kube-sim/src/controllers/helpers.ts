// Shared bits of the simulated controllers.
import { createHash } from 'node:crypto';
import { KubeObject, OwnerReference, StoreEvent } from '../store/types';
import { KubeError } from '../api/kube-error';
import type { SimCluster } from '../cluster/sim-cluster';

export const nsName = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
export const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
};

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export const ownerOf = (o: KubeObject): OwnerReference | undefined =>
  o.metadata.ownerReferences?.find((r) => r.controller);
export const isOwnedBy = (o: KubeObject, owner: KubeObject): boolean =>
  ownerOf(o)?.uid === owner.metadata.uid;

/** Keys for "this object changed" plus "its controller should look again". */
export function selfAndOwnerKeys(e: StoreEvent, kind: string, ownerKind: string): string[] {
  if (e.object.kind === kind) return [nsName(e.object)];
  const ref = ownerOf(e.object) ?? (e.oldObject ? ownerOf(e.oldObject) : undefined);
  if (e.object.kind === ownerKind || ref?.kind !== kind) return [];
  return [`${e.object.metadata.namespace ?? ''}/${ref.name}`];
}

export function podReady(pod: KubeObject): boolean {
  const conds =
    (pod['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return !pod.metadata.deletionTimestamp && conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podPhase(pod: KubeObject): string {
  return (pod['status'] as { phase?: string } | undefined)?.phase ?? 'Pending';
}

/** maxSurge/maxUnavailable: an int or "25%" of replicas, rounding as Kubernetes does. */
export function intOrPercent(value: unknown, replicas: number, roundUp: boolean, fallback: string): number {
  const v = value === undefined || value === null ? fallback : value;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  if (!m) return Number(v) || 0;
  const raw = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * Key-sorted JSON without nulls or empty maps, so templates that differ only in
 * serialization (a rollback's `creationTimestamp: null`, key order) hash the same.
 */
export function canonicalJson(value: unknown): string {
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(clean);
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = clean((v as Record<string, unknown>)[k]);
      if (c === null || c === undefined) continue;
      if (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) continue;
      out[k] = c;
    }
    return out;
  };
  return JSON.stringify(clean(value));
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** A pod-template-hash-like string: stable for equal templates, safe for names. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256')
    .update(canonicalJson(template ?? {}))
    .digest();
  let s = '';
  for (let i = 0; i < 10; i++) s += SAFE[digest[i]! % SAFE.length];
  return s;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/** Sets a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(conditions: Condition[] | undefined, next: Condition, now: string): Condition[] {
  const list = [...(conditions ?? [])];
  const idx = list.findIndex((c) => c.type === next.type);
  const prev = idx >= 0 ? list[idx] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? (prev.lastTransitionTime ?? now) : now,
    ...('lastUpdateTime' in next || prev?.lastUpdateTime !== undefined
      ? {
          lastUpdateTime:
            prev && prev.status === next.status && prev.reason === next.reason
              ? (prev.lastUpdateTime ?? now)
              : now,
        }
      : {}),
  };
  if (idx >= 0) list[idx] = merged;
  else list.push(merged);
  return list;
}

/**
 * Creates a controller's pod; when the API refuses it (e.g. a webhook failing closed) the owner
 * gets the FailedCreate warning its controller records, and the error goes back to the work
 * queue for a retry.
 */
export function createPod(
  cluster: SimCluster,
  owner: KubeObject,
  pod: KubeObject,
  component: string,
): KubeObject {
  try {
    return cluster.objects.create(cluster.type('', 'pods'), owner.metadata.namespace, pod);
  } catch (e) {
    if (e instanceof KubeError) {
      const message =
        owner.kind === 'StatefulSet'
          ? `create Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} failed error: ${e.message}`
          : `Error creating: ${e.message}`;
      cluster.events.record(owner, 'Warning', 'FailedCreate', message, component);
    }
    throw e;
  }
}
