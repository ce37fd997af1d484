// core/v1 Events the simulated controllers emit (Scheduled, Started, BackOff, ScalingReplicaSet…),
// deduplicated like the real event recorder: a repeat bumps count and lastTimestamp.
import { randomBytes } from 'node:crypto';
import { KubeError } from '../api/kube-error';
import { nowIso } from '../api/object-service';
import { KubeObject } from '../store/types';
import type { SimCluster } from './sim-cluster';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly seen = new Map<string, string>();

  constructor(private readonly cluster: SimCluster) {}

  record(involved: KubeObject, type: EventType, reason: string, message: string, component: string): void {
    const events = this.cluster.type('', 'events');
    const namespace = involved.metadata.namespace ?? 'default';
    const key = `${involved.metadata.uid}\u0000${reason}\u0000${message}`;
    const now = nowIso();
    const existing = this.seen.get(key);
    const live = existing ? this.cluster.objects.find(events, namespace, existing) : undefined;
    try {
      if (live) {
        this.cluster.objects.writeObject(events, {
          ...live,
          count: Number(live['count'] ?? 1) + 1,
          lastTimestamp: now,
        });
        return;
      }
      const name = `${involved.metadata.name}.${randomBytes(8).toString('hex')}`;
      this.cluster.objects.create(events, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: involved.metadata.name,
          namespace: involved.metadata.namespace,
          uid: involved.metadata.uid,
        },
        reason,
        message,
        type,
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      if (this.seen.size > 2000) this.seen.clear();
      this.seen.set(key, name);
    } catch (e) {
      // The namespace may be gone or terminating; events are best effort, as in Kubernetes.
      if (!(e instanceof KubeError)) throw e;
    }
  }
}
