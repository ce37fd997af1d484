// The resource-usage rules: defaults, their params, and the conditions they read from a report's
// resource block (libs/agent-protocol resources.schema: mem in bytes, cpu in cores).
// PROXY_MEMORY_HIGH: the largest proxy above 64 MiB warns (≈2.5× Linkerd's benchmark maximum);
// any proxy above 80 % of its memory limit is critical. PROXY_OOMKILLED: a proxy whose last
// termination was OOMKilled. CONTROL_PLANE_RESOURCE: a control-plane container near its limit
// (HA's 250Mi as the reference when none is set) warns; restarts or OOM kills are critical.
// PROXY_CPU_HIGH: the busiest proxy above a quarter of a core warns, after 15 minutes by default
// (CPU is bursty, memory is not); proxies above 80 % of their CPU limit warn at once there too,
// since they are about to be throttled. MESH_MEMORY_OVERHEAD: the proxies of a namespace (or of
// the whole cluster) use more than half the memory of the applications they serve.
import { namespaceOverhead, type ResourceUsage } from '@meshfleet/agent-protocol';
import { ValidationError } from '@meshfleet/core';
import type { AlertKind, EffectiveRule, RuleParams } from './alert-rules.catalog';

const MiB = 1024 * 1024;
export const DEFAULT_PROXY_MEMORY_BYTES = 64 * MiB;
export const DEFAULT_CONTROL_PLANE_LIMIT_RATIO = 0.8;
/** A quarter of a core: well above a proxy's benchmark CPU, below its default one worker. */
export const DEFAULT_PROXY_CPU_CORES = 0.25;
/** Proxies using more than half their applications' memory: the mesh costs more than it should. */
export const DEFAULT_OVERHEAD_RATIO = 0.5;
/** values-ha.yaml's controller memory limit: the reference when a container sets none. */
export const REFERENCE_CONTROL_PLANE_LIMIT_BYTES = 250 * MiB;

// String keys, not the enum: the catalog imports this file (no import cycle at runtime).
export const RESOURCE_RULE_DEFAULTS = {
  PROXY_MEMORY_HIGH: {
    enabled: true,
    severity: 'WARNING',
    forSeconds: 0,
    params: { thresholdBytes: DEFAULT_PROXY_MEMORY_BYTES },
    eventDriven: false,
  },
  PROXY_OOMKILLED: { enabled: true, severity: 'CRITICAL', forSeconds: 0, params: {}, eventDriven: false },
  CONTROL_PLANE_RESOURCE: {
    enabled: true,
    severity: 'WARNING',
    forSeconds: 0,
    params: { limitRatio: DEFAULT_CONTROL_PLANE_LIMIT_RATIO },
    eventDriven: false,
  },
  PROXY_CPU_HIGH: {
    enabled: true,
    severity: 'WARNING',
    forSeconds: 900,
    params: { thresholdCores: DEFAULT_PROXY_CPU_CORES },
    eventDriven: false,
  },
  MESH_MEMORY_OVERHEAD: {
    enabled: true,
    severity: 'WARNING',
    forSeconds: 900,
    params: { overheadRatio: DEFAULT_OVERHEAD_RATIO },
    eventDriven: false,
  },
} as Record<ResourceKind, Omit<EffectiveRule, 'kind'>>;

type ResourceKind =
  | 'PROXY_MEMORY_HIGH'
  | 'PROXY_OOMKILLED'
  | 'CONTROL_PLANE_RESOURCE'
  | 'PROXY_CPU_HIGH'
  | 'MESH_MEMORY_OVERHEAD';

/** Validates one resource-rule param into `out`; false when the key is not one of them. */
export function validateResourceParam(kind: AlertKind, key: string, v: unknown, out: RuleParams): boolean {
  const num = typeof v === 'number' && Number.isFinite(v);
  if (key === 'thresholdBytes' && kind === 'PROXY_MEMORY_HIGH') {
    if (!num || !Number.isInteger(v) || v < MiB || v > 64 * 1024 * MiB)
      throw new ValidationError(
        'params.thresholdBytes must be an integer between 1 MiB and 64 GiB',
        'params',
      );
    out.thresholdBytes = v;
    return true;
  }
  if (key === 'thresholdCores' && kind === 'PROXY_CPU_HIGH') {
    if (!num || v < 0.01 || v > 64)
      throw new ValidationError('params.thresholdCores must be between 0.01 and 64 cores', 'params');
    out.thresholdCores = v;
    return true;
  }
  if (key === 'overheadRatio' && kind === 'MESH_MEMORY_OVERHEAD') {
    if (!num || v <= 0 || v > 100)
      throw new ValidationError('params.overheadRatio must be above 0 and at most 100', 'params');
    out.overheadRatio = v;
    return true;
  }
  if (key === 'limitRatio' && kind === 'CONTROL_PLANE_RESOURCE') {
    if (!num || v <= 0 || v > 1)
      throw new ValidationError('params.limitRatio must be above 0 and at most 1', 'params');
    out.limitRatio = v;
    return true;
  }
  return false;
}

export interface ResourceCondition {
  kind: ResourceKind;
  subject: string;
  /** null: the rule's own severity. */
  severity: 'CRITICAL' | null;
  summary: string;
}

const mib = (bytes: number): string => `${Math.round(bytes / MiB)} MiB`;

export function resourceConditions(
  r: ResourceUsage,
  cluster: string,
  on: (kind: ResourceCondition['kind']) => EffectiveRule | undefined,
): ResourceCondition[] {
  const out: ResourceCondition[] = [];
  const biggest = r.top[0];
  const memRule = on('PROXY_MEMORY_HIGH');
  if (memRule) {
    const threshold = memRule.params.thresholdBytes ?? DEFAULT_PROXY_MEMORY_BYTES;
    const near = r.top.find((t) => t.near);
    if (r.proxy.overLimit > 0)
      out.push({
        kind: 'PROXY_MEMORY_HIGH',
        subject: 'proxy-memory',
        severity: 'CRITICAL',
        summary: `${r.proxy.overLimit} proxy(ies) on cluster ${cluster} use more than 80% of their memory limit${near ? ` (${near.ns}/${near.pod}: ${mib(near.mem)})` : ''}`,
      });
    else if (r.proxy.max > threshold)
      out.push({
        kind: 'PROXY_MEMORY_HIGH',
        subject: 'proxy-memory',
        severity: null,
        summary: `The largest proxy on cluster ${cluster}${biggest ? ` (${biggest.ns}/${biggest.pod})` : ''} uses ${mib(r.proxy.max)} (above ${mib(threshold)})`,
      });
  }
  if (on('PROXY_OOMKILLED') && r.proxy.oomKilled > 0) {
    const hit = r.top.find((t) => t.oom);
    out.push({
      kind: 'PROXY_OOMKILLED',
      subject: 'proxy-oom',
      severity: null,
      summary: `${r.proxy.oomKilled} proxy(ies) on cluster ${cluster} were OOMKilled${hit ? ` (${hit.ns}/${hit.pod})` : ''}`,
    });
  }
  const cpuRule = on('PROXY_CPU_HIGH');
  // Older agents send neither figure: the rule stays quiet rather than guess from the top list.
  if (cpuRule && r.proxy.cpuMax !== undefined) {
    const threshold = cpuRule.params.thresholdCores ?? DEFAULT_PROXY_CPU_CORES;
    const near = r.proxy.cpuNearLimit ?? 0;
    const busiest = r.proxy.cpuMaxPod ? ` (${r.proxy.cpuMaxPod})` : '';
    if (near > 0 || r.proxy.cpuMax > threshold)
      out.push({
        kind: 'PROXY_CPU_HIGH',
        subject: 'proxy-cpu',
        severity: null,
        summary:
          near > 0
            ? `${near} proxy(ies) on cluster ${cluster} use more than 80% of their CPU limit; the busiest${busiest} uses ${r.proxy.cpuMax} cores`
            : `The busiest proxy on cluster ${cluster}${busiest} uses ${r.proxy.cpuMax} cores (above ${threshold})`,
      });
  }
  const overheadRule = on('MESH_MEMORY_OVERHEAD');
  if (overheadRule) {
    const limit = overheadRule.params.overheadRatio ?? DEFAULT_OVERHEAD_RATIO;
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    // One alert per namespace over the ratio (of the ≤ 5 the report carries), and one for the
    // cluster as a whole when the agent sends its cluster-wide ratio.
    for (const n of r.namespaces) {
      const ratio = namespaceOverhead(n);
      if (ratio !== null && ratio > limit)
        out.push({
          kind: 'MESH_MEMORY_OVERHEAD',
          subject: `namespace:${n.ns}`,
          severity: null,
          summary: `Proxies in namespace ${n.ns} on cluster ${cluster} use ${pct(ratio)} of their applications' memory (above ${pct(limit)})`,
        });
    }
    const whole = r.proxy.overhead;
    if (whole !== undefined && whole !== null && whole > limit)
      out.push({
        kind: 'MESH_MEMORY_OVERHEAD',
        subject: 'cluster',
        severity: null,
        summary: `Proxies on cluster ${cluster} use ${pct(whole)} of their applications' memory (above ${pct(limit)})`,
      });
  }
  const cpRule = on('CONTROL_PLANE_RESOURCE');
  if (cpRule) {
    const ratio = cpRule.params.limitRatio ?? DEFAULT_CONTROL_PLANE_LIMIT_RATIO;
    for (const c of r.controlPlane) {
      const subject = `control-plane:${c.component}`;
      const restarts = c.restarts ?? 0;
      const ooms = c.oomKilled ?? 0;
      const used =
        c.limitRatio ??
        (c.mem !== null && c.pods > 0 ? c.mem / c.pods / REFERENCE_CONTROL_PLANE_LIMIT_BYTES : 0);
      if (restarts > 0 || ooms > 0)
        out.push({
          kind: 'CONTROL_PLANE_RESOURCE',
          subject,
          severity: 'CRITICAL',
          summary: `Linkerd ${c.component} on cluster ${cluster} restarted ${restarts} time(s)${ooms ? `, ${ooms} OOMKilled` : ''}`,
        });
      else if (used >= ratio)
        out.push({
          kind: 'CONTROL_PLANE_RESOURCE',
          subject,
          severity: null,
          summary: `Linkerd ${c.component} on cluster ${cluster} is at ${Math.round(used * 100)}% of its memory limit${c.limit ? '' : ' (250 MiB reference: no limit set)'}`,
        });
    }
  }
  return out;
}
