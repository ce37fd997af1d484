// COLLECT_PROXY_METRICS: one pod's linkerd-proxy metrics, like the "Send Diagnostics" button of
// peer products. Read through the pod proxy subresource, so the agent needs no network path to
// the pod — only `pods/proxy` get in its RBAC.
import { LIMITS, type TaskEnvelope, type TaskOutput } from '@meshfleet/agent-protocol';
import { isMeshed, proxyAdminPort } from '@meshfleet/linkerd';
import type { KubeAccess } from '../kube/kube-access';
import { errorMessage } from '../util/errors';
import { fetchProxyMetrics } from '../report/proxy-scraper';
import { TaskFailure } from './task-failure';

type CollectTask = Extract<TaskEnvelope, { kind: 'COLLECT_PROXY_METRICS' }>;

export interface CollectProxyMetricsDeps {
  kube: Pick<KubeAccess, 'pod' | 'podProxyGet'>;
  timeoutMs: number;
}

export async function collectProxyMetrics(
  task: CollectTask,
  d: CollectProxyMetricsDeps,
  signal?: AbortSignal,
): Promise<TaskOutput> {
  const { namespace, pod: name } = task.params;
  const pod = d.kube.pod(namespace, name);
  if (!pod) throw new TaskFailure('POD_NOT_FOUND', `pod ${namespace}/${name} does not exist`);
  if (!isMeshed(pod))
    throw new TaskFailure('POD_NOT_MESHED', `pod ${namespace}/${name} has no linkerd-proxy`);
  let result;
  try {
    result = await fetchProxyMetrics(
      d.kube,
      { namespace, name, port: proxyAdminPort(pod) },
      // Read a little more than we may send so "truncated" is known exactly.
      { timeoutMs: d.timeoutMs, maxBytes: LIMITS.taskOutputChars + 1 },
      signal,
    );
  } catch (e) {
    throw new TaskFailure(
      'SCRAPE_FAILED',
      `cannot read the proxy metrics of ${namespace}/${name}: ${errorMessage(e)}`,
    );
  }
  const truncated = result.truncated || result.text.length > LIMITS.taskOutputChars;
  return {
    kind: 'COLLECT_PROXY_METRICS',
    metrics: result.text.slice(0, LIMITS.taskOutputChars),
    truncated,
  };
}
