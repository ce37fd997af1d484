// The GitOps object that owns the control plane (an Argo CD Application or a Flux HelmRelease),
// found from the marks its controller leaves on Linkerd's objects, and its status as the agent
// reports it. Pure: the agent does the read; a malformed status never throws, it reads as Unknown.
import {
  ArgoHealthStatusSchema,
  GITOPS_MESSAGE_MAX,
  LIMITS,
  type ArgoApplicationStatus,
  type FluxHelmReleaseStatus,
  type GitopsSource,
} from '@meshfleet/agent-protocol';
import type { GitopsTool, LinkerdMarkedObjects, MarkedObject } from './detect-owner';

export interface GitopsSourceRef {
  tool: GitopsTool;
  apiVersion: 'argoproj.io/v1alpha1' | 'helm.toolkit.fluxcd.io/v2';
  kind: 'Application' | 'HelmRelease';
  namespace: string;
  name: string;
}

/** Where Argo CD keeps Applications unless "applications in any namespace" names another. */
export const ARGOCD_NAMESPACE = 'argocd';

type Meta = MarkedObject;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
const validName = (s: string) => s.length <= 253 && DNS_SUBDOMAIN.test(s);
const validNamespace = (s: string) => s.length <= 63 && DNS_LABEL.test(s);

/**
 * Argo CD's app instance value: `<app>` for Applications in Argo CD's namespace, or
 * `<namespace>_<app>` for applications in any namespace (Kubernetes names have no `_`).
 */
function argoApp(instance: string): { namespace: string; name: string } | null {
  const i = instance.indexOf('_');
  const namespace = i < 0 ? ARGOCD_NAMESPACE : instance.slice(0, i);
  const name = i < 0 ? instance : instance.slice(i + 1);
  return validNamespace(namespace) && validName(name) ? { namespace, name } : null;
}

/** The owner one object names, if it carries a mark of `tool`. */
export function sourceRefOf(o: Meta, tool: GitopsTool): GitopsSourceRef | null {
  const a = o.metadata?.annotations ?? {};
  const l = o.metadata?.labels ?? {};
  if (tool === 'ARGOCD') {
    // tracking-id: `<app instance>:<group>/<kind>:<namespace>/<name>`; the instance labels hold it alone.
    const tracking = a['argocd.argoproj.io/tracking-id'];
    const instance =
      (tracking ? tracking.split(':')[0] : undefined) ??
      l['argocd.argoproj.io/instance'] ??
      l['app.kubernetes.io/instance'];
    const app = instance ? argoApp(instance) : null;
    return app ? { tool, apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...app } : null;
  }
  const name = l['helm.toolkit.fluxcd.io/name'];
  const namespace = l['helm.toolkit.fluxcd.io/namespace'];
  if (!name || !namespace || !validName(name) || !validNamespace(namespace)) return null;
  return { tool, apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace, name };
}

/**
 * The control plane's owner: the first Linkerd object with a mark of the detected tool, looking
 * at the control-plane Deployments first, then its ConfigMaps, webhooks and CRDs (the CRDs are
 * often another Application, e.g. linkerd-crds).
 */
export function gitopsSourceRef(
  snapshot: LinkerdMarkedObjects,
  controlPlaneNamespace: string,
  tool: GitopsTool | null,
): GitopsSourceRef | null {
  if (!tool) return null;
  const inCp = (o: Meta) => o.metadata?.namespace === controlPlaneNamespace;
  const linkerdNamed = (o: Meta) => (o.metadata?.name ?? '').startsWith('linkerd-');
  const ordered = [
    ...snapshot.deployments.filter(inCp),
    ...snapshot.configMaps.filter((o) => inCp(o) && linkerdNamed(o)),
    ...snapshot.mutatingWebhooks.filter(linkerdNamed),
    ...snapshot.validatingWebhooks.filter(linkerdNamed),
    ...snapshot.crds.filter((o) => /\.linkerd\.io$/.test(o.metadata?.name ?? '')),
  ];
  for (const o of ordered) {
    const ref = sourceRefOf(o, tool);
    if (ref) return ref;
  }
  return null;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const clip = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.length > 0 ? (v.length > max ? `${v.slice(0, max - 1)}…` : v) : null;
const short = (v: unknown) => clip(v, LIMITS.shortString);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const time = (v: unknown): string | null =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v)
    ? new Date(v).toISOString()
    : null;

/** An Argo CD Application's status (status.sync, status.health, status.operationState). */
export function argoApplicationStatus(app: unknown): ArgoApplicationStatus {
  const status = obj(obj(app)['status']);
  const sync = obj(status['sync']);
  const syncStatus = sync['status'];
  const health = ArgoHealthStatusSchema.safeParse(obj(status['health'])['status']);
  return {
    syncStatus: syncStatus === 'Synced' || syncStatus === 'OutOfSync' ? syncStatus : 'Unknown',
    healthStatus: health.success ? health.data : 'Unknown',
    revision: short(sync['revision']) ?? short((sync['revisions'] as unknown[] | undefined)?.[0]),
    operationPhase: short(obj(status['operationState'])['phase']),
    reconciledAt: time(status['reconciledAt']),
  };
}

/** A Flux HelmRelease's Ready condition, last attempted revision and generations. */
export function fluxHelmReleaseStatus(release: unknown): FluxHelmReleaseStatus {
  const o = obj(release);
  const status = obj(o['status']);
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].map(obj) : [];
  const ready = conditions.find((c) => c['type'] === 'Ready');
  const s = ready?.['status'];
  return {
    ready: ready
      ? {
          status: s === 'True' || s === 'False' ? s : 'Unknown',
          reason: short(ready['reason']),
          message: clip(ready['message'], GITOPS_MESSAGE_MAX),
          lastTransitionTime: time(ready['lastTransitionTime']),
        }
      : null,
    lastAttemptedRevision: short(status['lastAttemptedRevision']),
    observedGeneration: int(status['observedGeneration']),
    generation: int(obj(o['metadata'])['generation']),
  };
}

/** What the report carries for a source that was read (`live`) or could not be (`error`). */
export function gitopsSourceReport(
  ref: GitopsSourceRef,
  readAt: Date,
  read: { live: unknown } | { error: string },
): GitopsSource {
  const base = {
    tool: ref.tool,
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    readAt: readAt.toISOString(),
  };
  if ('error' in read)
    return {
      ...base,
      error: clip(`source not readable: ${read.error}`, GITOPS_MESSAGE_MAX),
      argocd: null,
      flux: null,
    };
  return {
    ...base,
    error: null,
    argocd: ref.kind === 'Application' ? argoApplicationStatus(read.live) : null,
    flux: ref.kind === 'HelmRelease' ? fluxHelmReleaseStatus(read.live) : null,
  };
}
