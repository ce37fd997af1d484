// Scrapes `linkerd-proxy` admin metrics through the pod proxy subresource for traffic coverage.
// Bounded: at most `maxPods` pods (a random sample on big clusters, so coverage stays an honest
// estimate over time), `concurrency` requests in flight, and a timeout per request.
import type { V1Pod } from '@kubernetes/client-node';
import {
  coveragePods,
  isMeshed,
  proxyAdminPort,
  type ClusterSnapshot,
  type ScrapedMetrics,
} from '@meshfleet/linkerd';
import type { KubeAccess } from '../kube/kube-access';
import { errorMessage } from '../util/errors';
import { mapWithConcurrency, sample } from '../util/concurrency';

export interface ScrapeLimits {
  concurrency: number;
  timeoutMs: number;
  maxPods: number;
  /** Bytes of one proxy's metrics read at most (a proxy with many routes exports a lot). */
  maxBytes?: number;
}

export const DEFAULT_METRICS_MAX_BYTES = 4 * 1024 * 1024;

export interface ProxyScraperDeps {
  kube: Pick<KubeAccess, 'podProxyGet'>;
  limits: ScrapeLimits;
  controlPlaneNamespace: string;
  onError?: () => void;
}

/** Fetches one pod's proxy metrics; throws with a readable message on any failure. */
export async function fetchProxyMetrics(
  kube: Pick<KubeAccess, 'podProxyGet'>,
  pod: { namespace: string; name: string; port: number },
  limits: { timeoutMs: number; maxBytes: number },
  signal?: AbortSignal,
): Promise<{ text: string; truncated: boolean }> {
  const res = await kube.podProxyGet({
    namespace: pod.namespace,
    pod: pod.name,
    port: pod.port,
    path: 'metrics',
    timeoutMs: limits.timeoutMs,
    maxBytes: limits.maxBytes,
    ...(signal ? { signal } : {}),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  return { text: res.body, truncated: res.truncated };
}

export class ProxyScraper {
  constructor(private readonly d: ProxyScraperDeps) {}

  async scrape(snapshot: ClusterSnapshot, signal?: AbortSignal): Promise<ScrapedMetrics> {
    const { limits } = this.d;
    const candidates = coveragePods(snapshot, { controlPlaneNamespace: this.d.controlPlaneNamespace }).filter(
      (p) => isMeshed(p) && p.status?.podIP,
    );
    const chosen = sample(candidates, limits.maxPods);
    const errors: NonNullable<ScrapedMetrics['errors']> = [];
    const results = await mapWithConcurrency(chosen, limits.concurrency, async (pod: V1Pod) => {
      const namespace = pod.metadata?.namespace ?? '';
      const name = pod.metadata?.name ?? '';
      if (signal?.aborted) return null;
      try {
        const { text } = await fetchProxyMetrics(
          this.d.kube,
          { namespace, name, port: proxyAdminPort(pod) },
          { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes ?? DEFAULT_METRICS_MAX_BYTES },
          signal,
        );
        return { namespace, pod: name, text };
      } catch (e) {
        this.d.onError?.();
        errors.push({ namespace, pod: name, message: errorMessage(e).slice(0, 500) });
        return null;
      }
    });
    return {
      scrapes: results.filter((r): r is NonNullable<typeof r> => r !== null),
      errors,
      sampled: candidates.length > chosen.length,
    };
  }
}
