// viz's bundled Prometheus against its documented sizing: about 5 MB per meshed pod with the
// chart's 6 h retention (Linkerd's HA docs, "use your own Prometheus in production"). Warned when
// its working set passes 1.5 × that, its memory limit is below it, or it keeps more than 6 h.
import type { VizPrometheusResources } from '@meshfleet/agent-protocol';

export const PROMETHEUS_BYTES_PER_MESHED_POD = 5 * 1024 * 1024;
/** The chart's `storage.tsdb.retention.time`, the retention the sizing assumes. */
export const PROMETHEUS_DEFAULT_RETENTION = '6h';
const HEADROOM = 1.5;

export type PrometheusSizingReason = 'MEMORY_ABOVE_SIZING' | 'LIMIT_BELOW_SIZING' | 'RETENTION_ABOVE_SIZING';

export interface PrometheusSizing {
  /** meshed pods × 5 MiB. */
  sizingBytes: number;
  reasons: PrometheusSizingReason[];
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Seconds of a Prometheus duration (`6h`, `1d12h`, `90m`); null when it is not one. */
export function prometheusDurationSeconds(d: string): number | null {
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) return null;
  return parts.reduce((a, p) => a + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
}

export function prometheusSizing(meshedPods: number, p: VizPrometheusResources): PrometheusSizing {
  const sizingBytes = meshedPods * PROMETHEUS_BYTES_PER_MESHED_POD;
  const reasons: PrometheusSizingReason[] = [];
  if (p.mem !== null && meshedPods > 0 && p.mem > HEADROOM * sizingBytes) reasons.push('MEMORY_ABOVE_SIZING');
  if (p.limit !== null && p.limit < sizingBytes) reasons.push('LIMIT_BELOW_SIZING');
  const retention = p.retention === null ? null : prometheusDurationSeconds(p.retention);
  if (retention !== null && retention > prometheusDurationSeconds(PROMETHEUS_DEFAULT_RETENTION)!)
    reasons.push('RETENTION_ABOVE_SIZING');
  return { sizingBytes, reasons };
}

/**
 * How far past its sizing a bundled Prometheus with a warning is (its memory over the sizing, or
 * the sizing over its limit, whichever is larger; the fleet lists the largest first), or null
 * when it draws no warning. The ingest stores it, so the fleet summary reads the warned clusters
 * from an index instead of sizing every cluster's Prometheus per call.
 */
export function prometheusSizingOverrun(meshedPods: number, p: VizPrometheusResources): number | null {
  const { sizingBytes, reasons } = prometheusSizing(meshedPods, p);
  if (reasons.length === 0) return null;
  return sizingBytes > 0 ? Math.max((p.mem ?? 0) / sizingBytes, p.limit ? sizingBytes / p.limit : 0) : 0;
}
