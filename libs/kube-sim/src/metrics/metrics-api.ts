// metrics.k8s.io/v1beta1 as metrics-server serves it through the aggregator: PodMetrics and
// NodeMetrics, read-only (get, list; no watch), CPU as a rate over the window in nanocores and
// memory as the working set in Ki. Pods that are not running have no metrics yet (NotFound).
// While the APIService is not Available the aggregator answers 503, as a real one does.
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeError, notFound } from '../api/kube-error';
import { labelFilter } from '../api/selectors';
import type { ResourceType } from '../api/resource-types';
import { KubeObject } from '../store/types';
import type { UsageModel } from './usage-model';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_SERVICE = `${METRICS_VERSION}.${METRICS_GROUP}`;
/** metrics-server's default resolution: the window each CPU rate covers. */
const WINDOW = '15s';

export const METRICS_TYPES: ResourceType[] = [
  {
    group: METRICS_GROUP,
    versions: [METRICS_VERSION],
    plural: 'pods',
    singular: '',
    kind: 'PodMetrics',
    namespaced: true,
    subresources: [],
    virtual: true,
    metrics: true,
  },
  {
    group: METRICS_GROUP,
    versions: [METRICS_VERSION],
    plural: 'nodes',
    singular: '',
    kind: 'NodeMetrics',
    namespaced: false,
    subresources: [],
    virtual: true,
    metrics: true,
  },
];

export const cpuQuantity = (cores: number): string => `${Math.max(0, Math.round(cores * 1e9))}n`;
export const memoryQuantity = (bytes: number): string => `${Math.max(0, Math.round(bytes / 1024))}Ki`;

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class MetricsApi {
  constructor(
    private readonly cluster: SimCluster,
    private readonly usage: UsageModel,
  ) {}

  /** GET on a metrics resource; `name` unset lists (optionally across all namespaces). */
  read(
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
  ): unknown {
    this.assertAvailable();
    if (query.get('watch') === 'true' || query.get('watch') === '1')
      throw new KubeError(
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    const now = Date.now();
    const items = type.plural === 'pods' ? this.podItems(namespace, now) : this.nodeItems(now);
    if (name) {
      const found = items.find((i) => i.metadata.name === name);
      if (!found) throw notFound(type.plural, METRICS_GROUP, name);
      return found;
    }
    const filter = labelFilter(query.get('labelSelector') ?? undefined);
    return {
      kind: `${type.kind}List`,
      apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
      metadata: {},
      items: items.filter(filter),
    };
  }

  /** The aggregator answers 503 for the group version (discovery too) while the APIService is down. */
  assertAvailable(): void {
    const api = this.cluster.store
      .list(`apiregistration.k8s.io/apiservices`)
      .find((a) => a.metadata.name === METRICS_API_SERVICE);
    const conds = (api?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)
      ?.conditions;
    if (!api || !conds?.some((c) => c.type === 'Available' && c.status === 'True'))
      throw new KubeError('ServiceUnavailable', 'the server is currently unable to handle the request');
  }

  private podItems(namespace: string | undefined, now: number): KubeObject[] {
    const pods = this.cluster.store.list('/pods', namespace);
    const usage = this.usage.podsUsage(pods, now);
    const items: KubeObject[] = [];
    pods.forEach((pod, i) => {
      const containers = usage[i]!;
      if (containers.length === 0) return;
      items.push({
        kind: 'PodMetrics',
        apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
        metadata: {
          name: pod.metadata.name ?? '',
          namespace: pod.metadata.namespace ?? '',
          creationTimestamp: stamp(now),
          ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
        },
        timestamp: stamp(now - 5_000),
        window: WINDOW,
        containers: containers.map((c) => ({
          name: c.name,
          usage: { cpu: cpuQuantity(c.cpuCores), memory: memoryQuantity(c.memoryBytes) },
        })),
      });
    });
    return items;
  }

  /** A node's usage: a base for the system plus its pods', summed in one pass over all pods. */
  private nodeItems(now: number): KubeObject[] {
    const pods = this.cluster.store.list('/pods');
    const usage = this.usage.podsUsage(pods, now);
    const byNode = new Map<string, Array<{ cpuCores: number; memoryBytes: number }>>();
    pods.forEach((p, i) => {
      const node = (p['spec'] as { nodeName?: string }).nodeName;
      if (node === undefined) return;
      const list = byNode.get(node) ?? [];
      list.push(...usage[i]!);
      byNode.set(node, list);
    });
    return this.cluster.store.list('/nodes').map((node) => {
      let cpu = 0.08;
      let mem = 600 * 1024 * 1024;
      for (const c of byNode.get(node.metadata.name ?? '') ?? []) {
        cpu += c.cpuCores;
        mem += c.memoryBytes;
      }
      return {
        kind: 'NodeMetrics',
        apiVersion: `${METRICS_GROUP}/${METRICS_VERSION}`,
        metadata: {
          name: node.metadata.name ?? '',
          creationTimestamp: stamp(now),
          ...(node.metadata.labels ? { labels: node.metadata.labels } : {}),
        },
        timestamp: stamp(now - 5_000),
        window: '20s',
        usage: { cpu: cpuQuantity(cpu), memory: memoryQuantity(mem) },
      };
    });
  }
}
