// The proxy's admin port (4191) as the API server's pods/proxy reaches it: /ready, /live and
// /metrics rendered from the traffic graph; anything else on a pod is a refused connection.
import type { SimCluster, ProxyResponse } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { KubeError } from '../api/kube-error';
import { podReady, podPhase } from '../controllers/helpers';
import { KubeObject } from '../store/types';
import type { LinkerdIdentity } from './identity';
import { renderProxyMetrics, TrafficEdge, WorkloadView, workloadOf } from './proxy-metrics';
import { hasProxy } from './proxy-spec';
import type { UsageModel } from '../metrics/usage-model';

export class ProxyEndpoint {
  readonly edges: TrafficEdge[] = [];
  /** Set by the Linkerd model; the proxy's process_* figures come from it. */
  usage?: UsageModel;

  constructor(
    private readonly cluster: SimCluster,
    private readonly identity: LinkerdIdentity,
  ) {}

  handle(pod: KubeObject, port: string, path: string): ProxyResponse {
    const podIP = (pod['status'] as { podIP?: string } | undefined)?.podIP ?? '';
    const refused = (): ProxyResponse => {
      const err = new KubeError(
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${podIP}:${port}: connect: connection refused`,
      );
      return { code: 503, contentType: 'application/json', body: JSON.stringify(err.toStatus()) };
    };
    if (port !== '4191' || !hasProxy(pod) || podPhase(pod) !== 'Running') return refused();
    if (path === '/ready')
      return {
        code: podReady(pod) ? 200 : 503,
        contentType: 'text/plain',
        body: podReady(pod) ? 'ready\n' : 'not ready\n',
      };
    if (path === '/live') return { code: 200, contentType: 'text/plain', body: 'live\n' };
    if (path !== '/metrics') return { code: 404, contentType: 'text/plain', body: 'not found\n' };
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? 'linkerd';
    const started = Date.parse((pod['status'] as { startTime?: string } | undefined)?.startTime ?? nowIso());
    const leafExpiry = podReady(pod)
      ? Math.floor(Math.min(started + 86_400_000, this.identity.issuerNotAfter(cpNs) ?? Infinity) / 1000)
      : 0;
    const now = Date.now();
    const own = this.usage?.podUsage(pod, now).find((c) => c.name === 'linkerd-proxy');
    const body = renderProxyMetrics(pod, {
      now,
      ...(own && this.usage
        ? {
            process: {
              cpuSeconds: this.usage.cpuSeconds(pod, 'linkerd-proxy', own.cpuCores, now),
              residentBytes: own.memoryBytes,
              startedAt: this.usage.startedAt(pod, 'linkerd-proxy', now),
            },
          }
        : {}),
      controlPlaneNs: cpNs,
      trustDomain: 'cluster.local',
      edges: this.edges,
      workload: (ref) => this.workloadView(ref),
      certExpiry: leafExpiry,
    });
    return { code: 200, contentType: 'text/plain; version=0.0.4', body };
  }

  workloadView(ref: string): WorkloadView | undefined {
    const [namespace, name] = ref.split('/') as [string, string];
    const pods = this.cluster.store
      .list('/pods', namespace)
      .filter((p) => workloadOf(p) === name && podPhase(p) === 'Running');
    const svc = this.cluster.objects.find(this.cluster.type('', 'services'), namespace, name);
    const port =
      ((svc?.['spec'] as { ports?: Array<{ port: number }> } | undefined)?.ports ?? [])[0]?.port ?? 8080;
    return { namespace, name, pods, port };
  }
}
