// The stored resource block (ClusterHealth.resources, short keys) as the GraphQL shape.
import type { ClusterHealth } from '@meshfleet/db';
import { namespaceOverhead, ResourceUsage, ResourceUsageSchema } from '@meshfleet/agent-protocol';
import { ClusterResourcesType, ResourceSource } from './resource-usage.types';

export function resourcesView(h: ClusterHealth | null): ClusterResourcesType | null {
  if (!h?.resources) return null;
  // Stored after validation at ingest; parsed again so a row from a bad write cannot break the query.
  const parsed = ResourceUsageSchema.safeParse(h.resources);
  if (!parsed.success) return null;
  const r = parsed.data;
  return {
    source: r.source === 'metrics-api' ? ResourceSource.METRICS_API : ResourceSource.PROXY_METRICS,
    sampled: r.sampled,
    measuredAt: h.generatedAt,
    proxy: {
      measuredPods: r.proxy.pods,
      meshedPods: r.proxy.meshedPods,
      cpuCores: r.proxy.cpu,
      memoryBytes: r.proxy.mem,
      memoryP50Bytes: r.proxy.p50,
      memoryP95Bytes: r.proxy.p95,
      memoryMaxBytes: r.proxy.max,
      nearLimit: r.proxy.overLimit,
      oomKilled: r.proxy.oomKilled,
      restarts: r.proxy.restarts,
      memoryOverheadRatio: r.proxy.overhead ?? overheadFromNamespaces(r),
      cpuMaxCores: r.proxy.cpuMax ?? null,
      busiestCpuProxy: r.proxy.cpuMaxPod ?? null,
      nearCpuLimit: r.proxy.cpuNearLimit ?? 0,
    },
    topProxies: r.top.map((t) => ({
      namespace: t.ns,
      pod: t.pod,
      cpuCores: t.cpu,
      memoryBytes: t.mem,
      nearLimit: t.near ?? false,
      restarts: t.restarts ?? 0,
      oomKilled: t.oom ?? false,
    })),
    namespaces: r.namespaces.map((n) => ({
      namespace: n.ns,
      pods: n.pods,
      proxyCpuCores: n.cpu,
      proxyMemoryBytes: n.mem,
      appMemoryBytes: n.appMem,
      overheadRatio: namespaceOverhead(n),
    })),
    namespacesTruncated: r.namespacesTruncated,
    controlPlane: r.controlPlane.map((c) => ({
      component: c.component,
      pods: c.pods,
      cpuCores: c.cpu,
      memoryBytes: c.mem,
      memoryLimitBytes: c.limit ?? null,
      limitRatio: c.limitRatio ?? null,
      restarts: c.restarts ?? 0,
      oomKilled: c.oomKilled ?? 0,
    })),
    vizPrometheus: r.vizPrometheus
      ? {
          pods: r.vizPrometheus.pods,
          memoryBytes: r.vizPrometheus.mem,
          memoryLimitBytes: r.vizPrometheus.limit,
          retention: r.vizPrometheus.retention,
        }
      : null,
  };
}

/**
 * For agents that predate the cluster-wide ratio: the namespaces' ratio, only when they cover the
 * whole cluster (not truncated) and application memory was measured.
 */
function overheadFromNamespaces(r: ResourceUsage): number | null {
  if (r.namespacesTruncated) return null;
  const measured = r.namespaces.filter((n) => n.appMem > 0);
  const app = measured.reduce((a, n) => a + n.appMem, 0);
  if (app === 0) return null;
  return Math.round((measured.reduce((a, n) => a + n.mem, 0) / app) * 1000) / 1000;
}
