// Endpoints for Services with a selector: ready pod IPs as addresses, the rest as notReady.
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { nsName, podReady, splitKey } from './helpers';

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind === 'Service') return [nsName(e.object)];
    if (e.object.kind !== 'Pod') return [];
    const ns = e.object.metadata.namespace;
    return this.cluster.store.list('/services', ns).map(nsName);
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const svc = objects.find(this.cluster.type('', 'services'), ns, name);
    const epType = this.cluster.type('', 'endpoints');
    const ep = objects.find(epType, ns, name);
    const selector = (svc?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector;
    if (!svc || !selector) {
      if (ep && !svc) objects.delete(epType, ns, name);
      return;
    }
    const pods = this.cluster.store
      .list('/pods', ns)
      .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
      .filter((p) => (p['status'] as { podIP?: string } | undefined)?.podIP);
    const address = (p: KubeObject): unknown => ({
      ip: (p['status'] as { podIP: string }).podIP,
      nodeName: (p['spec'] as { nodeName?: string }).nodeName,
      targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
    });
    const ports = (
      (
        svc['spec'] as {
          ports?: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>;
        }
      ).ports ?? []
    ).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
      protocol: p.protocol ?? 'TCP',
    }));
    const ready = pods.filter(podReady).map(address);
    const notReady = pods.filter((p) => !podReady(p)).map(address);
    const subsets = pods.length
      ? [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            ports,
          },
        ]
      : [];
    const body = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns, labels: svc.metadata.labels ?? {} },
      subsets,
    };
    if (!ep) objects.create(epType, ns, body);
    else if (JSON.stringify(ep['subsets'] ?? []) !== JSON.stringify(subsets))
      objects.writeObject(epType, { ...ep, subsets });
  }
}
