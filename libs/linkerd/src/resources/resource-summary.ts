// Summarizes per-container CPU/memory into the report's bounded `resources` block: proxy
// percentiles and totals over every measured proxy, the 10 biggest proxies, the 5 namespaces
// with the most proxy memory (with the proxy ÷ application overhead), and the control plane per
// component (usage against limit, restarts, OOM kills). Pure: the agent gathers the inputs.
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  RESOURCE_LIMITS,
  type ControlPlaneResources,
  type NamespaceResources,
  type ResourceSource,
  type ResourceUsage,
  type TopProxy,
  type VizPrometheusResources,
} from '@meshfleet/agent-protocol';
import {
  DEFAULT_VIZ_NAMESPACE,
  LABEL_CONTROL_PLANE_COMPONENT,
  LABEL_EXTENSION,
  PROXY_CONTAINER,
} from '../constants';
import { isMeshed, podKey } from '../cluster/pods';
import { parseQuantity } from '@meshfleet/core';

export interface ContainerUsage {
  name: string;
  /** Cores (a rate); undefined when only memory is known (a first proxy-metrics sample). */
  cpu?: number;
  /** Working set / resident memory in bytes. */
  mem: number;
}

export interface ResourceInputs {
  pods: V1Pod[];
  /** podKey (namespace/name) → its containers' usage. Pods without an entry were not measured. */
  usage: Map<string, ContainerUsage[]>;
  source: ResourceSource;
  sampled: boolean;
  controlPlaneNamespace: string;
  /** Where viz's bundled Prometheus runs (linkerd-viz when not given). */
  vizNamespace?: string;
}

/** The fraction of a limit above which a container counts as near it. */
export const NEAR_LIMIT = 0.8;

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function containersOf(pod: V1Pod): V1Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

function statusOf(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find(
    (s) => s.name === name,
  );
}

const memLimit = (pod: V1Pod, name: string): number | undefined => {
  const v = parseQuantity(containersOf(pod).find((c) => c.name === name)?.resources?.limits?.['memory']);
  return v && v > 0 ? Math.round(v) : undefined;
};

const cpuLimit = (pod: V1Pod, name: string): number | undefined => {
  const v = parseQuantity(containersOf(pod).find((c) => c.name === name)?.resources?.limits?.['cpu']);
  return v && v > 0 ? v : undefined;
};

const oomKilled = (s: V1ContainerStatus | undefined): boolean =>
  s?.lastState?.terminated?.reason === 'OOMKilled' || s?.state?.terminated?.reason === 'OOMKilled';

/** The value at quantile q of an ascending array (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarizeResources(input: ResourceInputs): ResourceUsage {
  const cpNs = input.controlPlaneNamespace;
  const proxyMems: number[] = [];
  const top: Array<TopProxy & { sort: number }> = [];
  const namespaces = new Map<string, { pods: number; cpu: number; mem: number; appMem: number }>();
  const components = new Map<
    string,
    {
      pods: number;
      cpu: number | null;
      mem: number | null;
      limit?: number;
      limitRatio?: number;
      restarts: number;
      oomKilled: number;
    }
  >();
  let meshedPods = 0;
  let measured = 0;
  let cpu = 0;
  let mem = 0;
  let overLimit = 0;
  let oomPods = 0;
  let restarts = 0;
  // Proxy and application memory of the pods whose application containers were measured: the
  // cluster's mesh overhead, whatever the number of namespaces (the report carries only 5).
  let overheadProxy = 0;
  let overheadApp = 0;
  // The busiest proxy by CPU (the top list is by memory) and the proxies near their CPU limit.
  let cpuMax = 0;
  let cpuMaxPod = '';
  let cpuNearLimit = 0;

  for (const pod of input.pods) {
    const ns = pod.metadata?.namespace ?? '';
    const usage = input.usage.get(podKey(pod));
    const component = ns === cpNs ? pod.metadata?.labels?.[LABEL_CONTROL_PLANE_COMPONENT] : undefined;
    if (component) {
      const c = components.get(component) ?? { pods: 0, cpu: null, mem: null, restarts: 0, oomKilled: 0 };
      c.pods++;
      for (const ctr of containersOf(pod)) {
        if (ctr.name === PROXY_CONTAINER || ctr.name === 'linkerd-init') continue;
        const s = statusOf(pod, ctr.name);
        c.restarts += s?.restartCount ?? 0;
        if (oomKilled(s)) c.oomKilled++;
        const limit = memLimit(pod, ctr.name);
        if (limit !== undefined) c.limit = Math.min(c.limit ?? limit, limit);
        const u = usage?.find((x) => x.name === ctr.name);
        if (!u) continue;
        c.mem = (c.mem ?? 0) + Math.round(u.mem);
        if (u.cpu !== undefined) c.cpu = round3((c.cpu ?? 0) + u.cpu);
        if (limit !== undefined) c.limitRatio = Math.max(c.limitRatio ?? 0, round3(u.mem / limit));
      }
      components.set(component, c);
    }
    if (!isMeshed(pod)) continue;
    meshedPods++;
    const status = statusOf(pod, PROXY_CONTAINER);
    const proxyRestarts = status?.restartCount ?? 0;
    const oom = oomKilled(status);
    restarts += proxyRestarts;
    if (oom) oomPods++;
    const found = usage?.find((x) => x.name === PROXY_CONTAINER);
    if (!found) continue;
    const proxy = { ...found, mem: Math.round(found.mem) };
    measured++;
    proxyMems.push(proxy.mem);
    cpu += proxy.cpu ?? 0;
    mem += proxy.mem;
    const limit = memLimit(pod, PROXY_CONTAINER);
    const near = limit !== undefined && proxy.mem > NEAR_LIMIT * limit;
    if (near) overLimit++;
    if (proxy.cpu !== undefined) {
      if (proxy.cpu > cpuMax) {
        cpuMax = proxy.cpu;
        cpuMaxPod = `${ns}/${pod.metadata?.name ?? ''}`;
      }
      const cpuCap = cpuLimit(pod, PROXY_CONTAINER);
      if (cpuCap !== undefined && proxy.cpu > NEAR_LIMIT * cpuCap) cpuNearLimit++;
    }
    const row: TopProxy & { sort: number } = {
      ns,
      pod: pod.metadata?.name ?? '',
      cpu: round3(proxy.cpu ?? 0),
      mem: proxy.mem,
      ...(near ? { near: true as const } : {}),
      ...(proxyRestarts > 0 ? { restarts: proxyRestarts } : {}),
      ...(oom ? { oom: true as const } : {}),
      sort: proxy.mem,
    };
    // Keep only the 10 biggest as we go (bounded memory for huge clusters).
    top.push(row);
    if (top.length > RESOURCE_LIMITS.topProxies * 4) {
      top.sort((a, b) => b.sort - a.sort);
      top.length = RESOURCE_LIMITS.topProxies;
    }
    const n = namespaces.get(ns) ?? { pods: 0, cpu: 0, mem: 0, appMem: 0 };
    n.pods++;
    n.cpu += proxy.cpu ?? 0;
    n.mem += proxy.mem;
    let appMem = 0;
    for (const u of usage ?? []) if (u.name !== PROXY_CONTAINER) appMem += Math.round(u.mem);
    n.appMem += appMem;
    namespaces.set(ns, n);
    if (appMem > 0) {
      overheadProxy += proxy.mem;
      overheadApp += appMem;
    }
  }

  proxyMems.sort((a, b) => a - b);
  top.sort((a, b) => b.sort - a.sort || a.ns.localeCompare(b.ns) || a.pod.localeCompare(b.pod));
  const nsRows: NamespaceResources[] = [...namespaces]
    .sort((a, b) => b[1].mem - a[1].mem || a[0].localeCompare(b[0]))
    .slice(0, RESOURCE_LIMITS.namespaces)
    .map(([name, n]) => ({
      ns: name,
      pods: n.pods,
      cpu: round3(n.cpu),
      mem: n.mem,
      appMem: n.appMem,
    }));
  const cpRows: ControlPlaneResources[] = [...components]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .slice(0, RESOURCE_LIMITS.controlPlane)
    .map(([component, c]) => ({
      component,
      pods: c.pods,
      cpu: c.cpu,
      mem: c.mem,
      ...(c.limit !== undefined ? { limit: c.limit } : {}),
      ...(c.limitRatio !== undefined ? { limitRatio: c.limitRatio } : {}),
      ...(c.restarts > 0 ? { restarts: c.restarts } : {}),
      ...(c.oomKilled > 0 ? { oomKilled: c.oomKilled } : {}),
    }));
  return {
    source: input.source,
    sampled: input.sampled,
    proxy: {
      pods: measured,
      meshedPods,
      cpu: round3(cpu),
      mem,
      p50: quantile(proxyMems, 0.5),
      p95: quantile(proxyMems, 0.95),
      max: proxyMems[proxyMems.length - 1] ?? 0,
      overLimit,
      oomKilled: oomPods,
      restarts,
      overhead: overheadApp > 0 ? round3(overheadProxy / overheadApp) : null,
      cpuMax: round3(cpuMax),
      ...(cpuMaxPod ? { cpuMaxPod: cpuMaxPod.slice(0, 256) } : {}),
      ...(cpuNearLimit > 0 ? { cpuNearLimit } : {}),
    },
    top: top.slice(0, RESOURCE_LIMITS.topProxies).map(({ sort: _s, ...r }) => r),
    namespaces: nsRows,
    namespacesTruncated: namespaces.size > nsRows.length,
    controlPlane: cpRows,
    vizPrometheus: vizPrometheus(input),
  };
}

const RETENTION_FLAG = /^--?storage\.tsdb\.retention\.time=(.+)$/;

/**
 * viz's bundled Prometheus: its pods (labelled `component: prometheus` in the viz namespace), the
 * prometheus containers' working set and smallest memory limit, and the retention its args set.
 * Null when it does not run (no viz, or viz with an external Prometheus).
 */
export function vizPrometheus(input: ResourceInputs): VizPrometheusResources | null {
  const ns = input.vizNamespace ?? DEFAULT_VIZ_NAMESPACE;
  const pods = input.pods.filter(
    (p) =>
      p.metadata?.namespace === ns &&
      p.metadata?.labels?.['component'] === 'prometheus' &&
      p.metadata?.labels?.[LABEL_EXTENSION] === 'viz',
  );
  if (pods.length === 0) return null;
  let mem: number | null = null;
  let limit: number | null = null;
  let retention: string | null = null;
  for (const pod of pods) {
    const ctr = pod.spec?.containers?.find((c) => c.name === 'prometheus');
    if (!ctr) continue;
    const l = memLimit(pod, ctr.name);
    if (l !== undefined) limit = Math.min(limit ?? l, l);
    for (const a of [...(ctr.args ?? []), ...(ctr.command ?? [])]) {
      const m = RETENTION_FLAG.exec(a);
      if (m) retention = m[1]!.slice(0, 128);
    }
    const u = input.usage.get(podKey(pod))?.find((x) => x.name === ctr.name);
    if (u) mem = (mem ?? 0) + Math.round(u.mem);
  }
  return { pods: pods.length, mem, limit, retention };
}
