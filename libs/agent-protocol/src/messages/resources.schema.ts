// Resource usage of the mesh in a report: proxy and control-plane CPU and memory, summarized so
// the report grows by at most ~2 KiB however many pods the cluster runs. Units throughout:
// `cpu` in cores (a rate: 0.25 = a quarter of a core), `mem`/`limit`/`p50`/`p95`/`max` in bytes.
// Absent (null) from agents that predate it. Keys are short on purpose: 10 proxies, 5 namespaces
// and the control-plane components are carried for clusters of any size.
import { z } from 'zod';
import { count, shortString } from './common.schema';

export const RESOURCE_LIMITS = { topProxies: 10, namespaces: 5, controlPlane: 8 } as const;

const cores = z.number().min(0).max(1e6);
const bytes = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const ratio = z.number().min(0).max(1e6);

/** Where the figures came from: metrics-server's PodMetrics, or the proxies' own process_* metrics. */
export const ResourceSourceSchema = z.enum(['metrics-api', 'proxy-metrics']);
export type ResourceSource = z.infer<typeof ResourceSourceSchema>;

export const ProxyResourceSummarySchema = z.object({
  /** Meshed pods whose proxy was measured (and the count of meshed pods seen). */
  pods: count,
  meshedPods: count,
  cpu: cores,
  mem: bytes,
  p50: bytes,
  p95: bytes,
  max: bytes,
  /** Proxies using more than 80 % of their memory limit. */
  overLimit: count,
  /** Pods whose linkerd-proxy last terminated OOMKilled. */
  oomKilled: count,
  /** Sum of linkerd-proxy restartCount. */
  restarts: count,
  /**
   * Proxy memory ÷ application memory over the meshed pods whose application containers were
   * measured (the whole cluster, not only the namespaces carried); null when none was. Absent
   * from agents that predate it.
   */
  overhead: ratio.nullable().optional(),
  /** The busiest proxy's CPU (cores) and its `namespace/pod`; absent from older agents. */
  cpuMax: cores.optional(),
  cpuMaxPod: shortString.optional(),
  /** Proxies using more than 80 % of their CPU limit (throttled soon); absent when none is. */
  cpuNearLimit: count.optional(),
});

export const TopProxySchema = z.object({
  ns: shortString,
  pod: shortString,
  cpu: cores,
  mem: bytes,
  /** Present when the proxy uses more than 80 % of its memory limit. */
  near: z.literal(true).optional(),
  restarts: count.optional(),
  oom: z.literal(true).optional(),
});

export const NamespaceResourcesSchema = z.object({
  ns: shortString,
  pods: count,
  cpu: cores,
  mem: bytes,
  /** Working set of the application containers of the same pods. */
  appMem: bytes,
  /**
   * mem ÷ appMem; null when no application memory was measured. Sent by older agents only: it
   * follows from the two figures (namespaceOverhead), and leaving it out keeps the block of a
   * 5,000-pod cluster under 2 KiB.
   */
  overhead: ratio.nullable().optional(),
});

export const ControlPlaneResourcesSchema = z.object({
  /** linkerd.io/control-plane-component (destination, identity, proxy-injector, …). */
  component: shortString,
  pods: count,
  /** Non-proxy containers; null when no usage could be read (no metrics-server). */
  cpu: cores.nullable(),
  mem: bytes.nullable(),
  /** Smallest memory limit of its containers; absent when none is set. */
  limit: bytes.optional(),
  /** Highest container working set ÷ its limit. */
  limitRatio: ratio.optional(),
  /** Sum of the containers' restartCount and OOM-killed containers; absent when 0. */
  restarts: count.optional(),
  oomKilled: count.optional(),
});

/** viz's bundled Prometheus (pods labelled `component: prometheus` in the viz namespace). */
export const VizPrometheusResourcesSchema = z.object({
  pods: count,
  /** Working set of the prometheus containers; null when no usage could be read. */
  mem: bytes.nullable(),
  /** Smallest memory limit of its prometheus containers; null when none is set (the chart's default). */
  limit: bytes.nullable(),
  /** `--storage.tsdb.retention.time` as written (the chart's default is 6h); null when not given. */
  retention: shortString.nullable(),
});
export type VizPrometheusResources = z.infer<typeof VizPrometheusResourcesSchema>;

export const ResourceUsageSchema = z.object({
  source: ResourceSourceSchema,
  /** True when only a sample of the proxies was read (proxy-metrics on big clusters). */
  sampled: z.boolean(),
  proxy: ProxyResourceSummarySchema,
  top: z.array(TopProxySchema).max(RESOURCE_LIMITS.topProxies),
  namespaces: z.array(NamespaceResourcesSchema).max(RESOURCE_LIMITS.namespaces),
  namespacesTruncated: z.boolean(),
  controlPlane: z.array(ControlPlaneResourcesSchema).max(RESOURCE_LIMITS.controlPlane),
  /** Null without a bundled viz Prometheus (and from older agents). */
  vizPrometheus: VizPrometheusResourcesSchema.nullable().default(null),
});
export type ResourceUsage = z.infer<typeof ResourceUsageSchema>;
export type TopProxy = z.infer<typeof TopProxySchema>;
export type NamespaceResources = z.infer<typeof NamespaceResourcesSchema>;
export type ControlPlaneResources = z.infer<typeof ControlPlaneResourcesSchema>;

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** A namespace row's proxy ÷ application memory (null when no application memory was measured). */
export function namespaceOverhead(n: NamespaceResources): number | null {
  if (n.overhead !== undefined) return n.overhead;
  return n.appMem > 0 ? round3(n.mem / n.appMem) : null;
}
