// Per-container CPU and memory for the report's `resources` block. metrics-server's PodMetrics
// (one cluster-wide list; covers native-sidecar proxies and the control plane) when the cluster
// serves metrics.k8s.io; otherwise the proxies' own process_* metrics from the scrape the mTLS
// coverage already made (no extra requests), with CPU as the rate between two reports.
import type { ResourceUsage } from '@meshfleet/agent-protocol';
import {
  parsePrometheusText,
  parseQuantity,
  summarizeResources,
  type ClusterSnapshot,
  type ContainerUsage,
  type ScrapedMetrics,
} from '@meshfleet/linkerd';
import type { Logger } from 'pino';
import type { KubeAccess } from '../kube/kube-access';
import { errorMessage } from '../util/errors';

export const METRICS_API_PODS = '/apis/metrics.k8s.io/v1beta1/pods';
/** A PodMetrics item is ~300–500 bytes; 32 MiB covers far more than 5,000 pods. */
const MAX_METRICS_BYTES = 32 * 1024 * 1024;

interface PodMetricsList {
  items?: Array<{
    metadata?: { namespace?: string; name?: string };
    containers?: Array<{ name?: string; usage?: { cpu?: string; memory?: string } }>;
  }>;
}

export interface ResourceCollectorDeps {
  kube: Pick<KubeAccess, 'apiGet'>;
  controlPlaneNamespace: string;
  /** Where viz's bundled Prometheus runs (its sizing in the report). */
  vizNamespace?: string;
  timeoutMs: number;
  log?: Pick<Logger, 'debug'>;
}

/** Turns a PodMetricsList into podKey → container usage; undefined when the body is not one. */
export function podMetricsUsage(body: string): Map<string, ContainerUsage[]> | undefined {
  let list: PodMetricsList;
  try {
    list = JSON.parse(body) as PodMetricsList;
  } catch {
    return undefined;
  }
  if (!Array.isArray(list.items)) return undefined;
  const out = new Map<string, ContainerUsage[]>();
  for (const item of list.items) {
    const key = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
    const containers: ContainerUsage[] = [];
    for (const c of item.containers ?? []) {
      const mem = parseQuantity(c.usage?.memory);
      const cpu = parseQuantity(c.usage?.cpu);
      if (!c.name || mem === undefined) continue;
      containers.push({ name: c.name, mem: Math.round(mem), ...(cpu !== undefined ? { cpu } : {}) });
    }
    out.set(key, containers);
  }
  return out;
}

export class ResourceCollector {
  /** podKey → the last process_cpu_seconds_total seen, for a rate between reports. */
  private readonly lastCpu = new Map<string, { at: number; seconds: number; start: number }>();

  constructor(private readonly d: ResourceCollectorDeps) {}

  /**
   * `scraped` may still be in flight: the metrics.k8s.io list (seconds on a large cluster) runs
   * alongside the proxy scrape, which is awaited only when the list is not usable.
   */
  async collect(
    snapshot: ClusterSnapshot,
    scrapedOrPending: ScrapedMetrics | Promise<ScrapedMetrics>,
    signal?: AbortSignal,
  ): Promise<ResourceUsage | null> {
    const base = {
      pods: snapshot.pods,
      controlPlaneNamespace: this.d.controlPlaneNamespace,
      ...(this.d.vizNamespace ? { vizNamespace: this.d.vizNamespace } : {}),
    };
    const fromApi = await this.fromMetricsApi(signal);
    if (fromApi)
      return summarizeResources({ ...base, usage: fromApi, source: 'metrics-api', sampled: false });
    const scraped = await scrapedOrPending;
    const fromProxies = this.fromProxyMetrics(scraped, snapshot.now.getTime());
    if (fromProxies.size === 0) return null;
    return summarizeResources({
      ...base,
      usage: fromProxies,
      source: 'proxy-metrics',
      sampled: scraped.sampled ?? false,
    });
  }

  private async fromMetricsApi(signal?: AbortSignal): Promise<Map<string, ContainerUsage[]> | undefined> {
    try {
      const res = await this.d.kube.apiGet(METRICS_API_PODS, {
        timeoutMs: this.d.timeoutMs,
        maxBytes: MAX_METRICS_BYTES,
        ...(signal ? { signal } : {}),
      });
      // 404: no metrics-server; 503: its APIService is unavailable; 403: not granted.
      if (res.status !== 200 || res.truncated) {
        this.d.log?.debug({ status: res.status }, 'metrics.k8s.io not usable; using proxy metrics');
        return undefined;
      }
      return podMetricsUsage(res.body);
    } catch (e) {
      this.d.log?.debug({ err: errorMessage(e) }, 'metrics.k8s.io not reachable; using proxy metrics');
      return undefined;
    }
  }

  /** The proxy container's figures from each scraped /metrics body. */
  private fromProxyMetrics(scraped: ScrapedMetrics, now: number): Map<string, ContainerUsage[]> {
    const out = new Map<string, ContainerUsage[]>();
    const seen = new Set<string>();
    for (const s of scraped.scrapes) {
      const values = new Map<string, number>();
      for (const sample of parsePrometheusText(s.text).samples)
        if (sample.name.startsWith('process_')) values.set(sample.name, sample.value);
      const rss = values.get('process_resident_memory_bytes');
      if (rss === undefined || !Number.isFinite(rss)) continue;
      const key = `${s.namespace}/${s.pod}`;
      seen.add(key);
      const cpuSeconds = values.get('process_cpu_seconds_total');
      const start = values.get('process_start_time_seconds') ?? 0;
      let cpu: number | undefined;
      if (cpuSeconds !== undefined) {
        const prev = this.lastCpu.get(key);
        if (prev && prev.start === start && now > prev.at && cpuSeconds >= prev.seconds)
          cpu = (cpuSeconds - prev.seconds) / ((now - prev.at) / 1000);
        // First sight (or a restart): the average since the process started.
        else if (start > 0 && now / 1000 > start) cpu = cpuSeconds / (now / 1000 - start);
        this.lastCpu.set(key, { at: now, seconds: cpuSeconds, start });
      }
      out.set(key, [{ name: 'linkerd-proxy', mem: Math.round(rss), ...(cpu !== undefined ? { cpu } : {}) }]);
    }
    // Forget pods that were not scraped this time (deleted, or out of this round's sample).
    for (const k of this.lastCpu.keys()) if (!seen.has(k)) this.lastCpu.delete(k);
    return out;
  }
}
