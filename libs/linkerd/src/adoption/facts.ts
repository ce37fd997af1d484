// The agent's adoption facts (reference seed-gaps (b), "Pre-check per workload"): per workload of
// the application namespaces, what decides whether the injector will mesh it and how disruptive
// the restart is. Pure over a snapshot; the planner (plan.ts) reads only these facts, so the API
// plans from a stored report without the cluster.
import type {
  V1Container,
  V1LabelSelector,
  V1ObjectMeta,
  V1PodDisruptionBudget,
  V1PodTemplateSpec,
} from '@kubernetes/client-node';
import type {
  AdoptionFactsInput,
  AdoptionPort,
  AdoptionWorkloadInput,
  AdoptionWorkloadKind,
} from '@meshfleet/agent-protocol';
import { LIMITS } from '@meshfleet/agent-protocol';
import { findConfigMap } from '../cluster/objects';
import { parseLinkerdConfig } from '../cluster/linkerd-config';
import { isMeshed, isRunning } from '../cluster/pods';
import { workloadOf } from '../cluster/workloads';
import {
  DEFAULT_CONTROL_PLANE_NAMESPACE,
  LABEL_CONTROL_PLANE_NS,
  LABEL_EXTENSION,
  LINKERD_CONFIG_MAP,
  PROXY_INJECTOR_WEBHOOK,
  SYSTEM_NAMESPACES,
} from '../constants';
import { injectionFrom } from '../mtls/injection';
import type { ClusterSnapshot } from '../snapshot';

export const ANNOTATION_OPAQUE_PORTS = 'config.linkerd.io/opaque-ports';
export const ANNOTATION_DEFAULT_INBOUND_POLICY = 'config.linkerd.io/default-inbound-policy';
export const ANNOTATION_SKIP_INBOUND_PORTS = 'config.linkerd.io/skip-inbound-ports';
export const ANNOTATION_SKIP_OUTBOUND_PORTS = 'config.linkerd.io/skip-outbound-ports';
const PROXY_INJECTOR_DEPLOYMENT = 'linkerd-proxy-injector';

/** The inject annotation as the facts carry it: null when unset. */
function inject(annotations: Record<string, string> | undefined): 'enabled' | 'disabled' | 'ingress' | null {
  const v = injectionFrom(annotations);
  return v === 'unset' ? null : v;
}

const clip = (v: string | undefined | null): string | null => (v ? v.slice(0, LIMITS.shortString) : null);

/** Does a label selector select these labels? An empty selector selects everything (policy/v1). */
export function selectorMatches(sel: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && values.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function ports(containers: V1Container[]): AdoptionPort[] {
  const out: AdoptionPort[] = [];
  const seen = new Set<string>();
  for (const c of containers)
    for (const p of c.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP') as AdoptionPort['protocol'];
      const key = `${p.containerPort}/${protocol}`;
      if (seen.has(key) || !(p.containerPort >= 1 && p.containerPort <= 65535)) continue;
      seen.add(key);
      out.push({ port: p.containerPort, protocol });
    }
  return out.slice(0, LIMITS.adoptionPortsPerWorkload);
}

interface RawWorkload {
  kind: AdoptionWorkloadKind;
  meta: V1ObjectMeta;
  template: V1PodTemplateSpec | undefined;
  replicas: number | null;
  readyReplicas: number;
  maxUnavailable: number | string | null;
}

function rawWorkloads(s: ClusterSnapshot): RawWorkload[] {
  const mu = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? v : null);
  return [
    ...s.deployments.map((d) => ({
      kind: 'Deployment' as const,
      meta: d.metadata ?? {},
      template: d.spec?.template,
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      maxUnavailable: mu(d.spec?.strategy?.rollingUpdate?.maxUnavailable),
    })),
    ...(s.statefulSets ?? []).map((d) => ({
      kind: 'StatefulSet' as const,
      meta: d.metadata ?? {},
      template: d.spec?.template,
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      maxUnavailable: mu(d.spec?.updateStrategy?.rollingUpdate?.maxUnavailable),
    })),
    ...s.daemonSets.map((d) => ({
      kind: 'DaemonSet' as const,
      meta: d.metadata ?? {},
      template: d.spec?.template,
      replicas: null,
      readyReplicas: d.status?.numberReady ?? 0,
      maxUnavailable: mu(d.spec?.updateStrategy?.rollingUpdate?.maxUnavailable),
    })),
    // Jobs a CronJob spawned are planned through their CronJob (the next run gets the proxy).
    ...(s.jobs ?? [])
      .filter((j) => !j.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob'))
      .map((j) => ({
        kind: 'Job' as const,
        meta: j.metadata ?? {},
        template: j.spec?.template,
        replicas: null,
        readyReplicas: j.status?.ready ?? 0,
        maxUnavailable: null,
      })),
    ...(s.cronJobs ?? []).map((c) => ({
      kind: 'CronJob' as const,
      meta: c.metadata ?? {},
      template: c.spec?.jobTemplate?.spec?.template,
      replicas: null,
      readyReplicas: 0,
      maxUnavailable: null,
    })),
  ];
}

function workloadFacts(
  w: RawWorkload,
  pdbs: V1PodDisruptionBudget[],
  podCounts: Map<string, { total: number; meshed: number }>,
): AdoptionWorkloadInput {
  const ns = w.meta.namespace ?? '';
  const name = w.meta.name ?? '';
  const spec = w.template?.spec;
  const tmplAnn = w.template?.metadata?.annotations ?? {};
  const labels = w.template?.metadata?.labels ?? {};
  const pdb = pdbs.find((p) => p.metadata?.namespace === ns && selectorMatches(p.spec?.selector, labels));
  const counts = podCounts.get(`${ns}/${w.kind}/${name}`) ?? { total: 0, meshed: 0 };
  const injectSetting = inject(tmplAnn) ?? inject(w.meta.annotations);
  return {
    kind: w.kind,
    name: name.slice(0, LIMITS.shortString),
    replicas: w.replicas,
    readyReplicas: w.readyReplicas,
    inject: injectSetting,
    opaquePorts: clip(tmplAnn[ANNOTATION_OPAQUE_PORTS]),
    skipInboundPorts: clip(tmplAnn[ANNOTATION_SKIP_INBOUND_PORTS]),
    skipOutboundPorts: clip(tmplAnn[ANNOTATION_SKIP_OUTBOUND_PORTS]),
    hostNetwork: spec?.hostNetwork === true,
    automountToken: spec?.automountServiceAccountToken ?? null,
    ports: ports([...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]),
    meshedPods: counts.meshed,
    totalPods: counts.total,
    pdb: pdb
      ? {
          name: (pdb.metadata?.name ?? '?').slice(0, LIMITS.shortString),
          disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
        }
      : null,
    maxUnavailable: typeof w.maxUnavailable === 'string' ? clip(w.maxUnavailable) : w.maxUnavailable,
  };
}

/** Namespaces of Linkerd itself: the control plane's and those labelled as Linkerd's. */
export function linkerdNamespacesOf(s: ClusterSnapshot, controlPlaneNamespace: string): string[] {
  const out = new Set<string>();
  for (const ns of s.namespaces) {
    const l = ns.metadata?.labels ?? {};
    if (l[LABEL_EXTENSION] || l[LABEL_CONTROL_PLANE_NS]) out.add(ns.metadata?.name ?? '');
  }
  if (s.namespaces.some((n) => n.metadata?.name === controlPlaneNamespace)) out.add(controlPlaneNamespace);
  out.delete('');
  return [...out].sort();
}

export interface AdoptionFactsOptions {
  controlPlaneNamespace?: string;
}

export function adoptionFacts(s: ClusterSnapshot, options: AdoptionFactsOptions = {}): AdoptionFactsInput {
  const cp = options.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE;
  const cm = findConfigMap(s, cp, LINKERD_CONFIG_MAP);
  const parsed = cm ? parseLinkerdConfig(cm) : null;
  const values = parsed?.ok ? parsed.values : null;
  const webhook = s.mutatingWebhooks.find((m) => m.metadata?.name === PROXY_INJECTOR_WEBHOOK);
  const policy = webhook?.webhooks?.[0]?.failurePolicy;
  const injector = s.deployments.find(
    (d) => d.metadata?.namespace === cp && d.metadata?.name === PROXY_INJECTOR_DEPLOYMENT,
  );

  const linkerdNs = linkerdNamespacesOf(s, cp);
  const skip = new Set<string>([...SYSTEM_NAMESPACES, ...linkerdNs]);
  const podCounts = new Map<string, { total: number; meshed: number }>();
  for (const p of s.pods) {
    if (!isRunning(p)) continue;
    const w = workloadOf(p);
    const key = `${p.metadata?.namespace}/${w.kind}/${w.name}`;
    const c = podCounts.get(key) ?? { total: 0, meshed: 0 };
    c.total++;
    if (isMeshed(p)) c.meshed++;
    podCounts.set(key, c);
  }
  const pdbs = s.podDisruptionBudgets ?? [];
  const byNs = new Map<string, AdoptionWorkloadInput[]>();
  for (const ns of s.namespaces) {
    const name = ns.metadata?.name ?? '';
    if (name && !skip.has(name)) byNs.set(name, []);
  }
  for (const w of rawWorkloads(s)) {
    const list = byNs.get(w.meta.namespace ?? '');
    if (list) list.push(workloadFacts(w, pdbs, podCounts));
  }
  const names = [...byNs.keys()].sort();
  const namespaces = names.slice(0, LIMITS.namespaces).map((name) => {
    const ann = s.namespaces.find((n) => n.metadata?.name === name)?.metadata?.annotations ?? {};
    const workloads = byNs
      .get(name)!
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    return {
      name: name.slice(0, LIMITS.shortString),
      inject: inject(ann),
      opaquePorts: clip(ann[ANNOTATION_OPAQUE_PORTS]),
      inboundPolicy: clip(ann[ANNOTATION_DEFAULT_INBOUND_POLICY]),
      workloads: workloads.slice(0, LIMITS.workloadsPerNamespace),
      workloadsTruncated: workloads.length > LIMITS.workloadsPerNamespace,
    };
  });
  return {
    injector: {
      failurePolicy: policy === 'Ignore' || policy === 'Fail' ? policy : webhook ? 'Fail' : null,
      available: (injector?.status?.availableReplicas ?? 0) > 0,
    },
    nativeSidecar: values?.nativeSidecar ?? null,
    defaultOpaquePorts: values?.opaquePorts ? clip(values.opaquePorts) : null,
    tokenProjection: values?.tokenProjection ?? null,
    defaultInboundPolicy: values?.defaultInboundPolicy ? clip(values.defaultInboundPolicy) : null,
    linkerdNamespaces: linkerdNs.slice(0, LIMITS.namespaces).map((n) => n.slice(0, LIMITS.shortString)),
    namespaces,
    namespacesTruncated: names.length > LIMITS.namespaces,
    unreadKinds: [
      ...(s.statefulSets ? [] : (['StatefulSet'] as const)),
      ...(s.jobs ? [] : (['Job'] as const)),
      ...(s.cronJobs ? [] : (['CronJob'] as const)),
      ...(s.podDisruptionBudgets ? [] : (['PodDisruptionBudget'] as const)),
    ],
  };
}
