// Runs the simulated controllers of one cluster. Store events enqueue keys per controller;
// a single drain loop (on setImmediate) reconciles them level-triggered, so a burst of
// events for one object costs one reconcile.
import type { SimCluster } from '../cluster/sim-cluster';
import { StoreEvent } from '../store/types';
import { ApiServiceController } from './apiservice.controller';
import { CrdController } from './crd.controller';
import { DaemonSetController } from './daemonset.controller';
import { DeploymentController } from './deployment.controller';
import { EndpointsController } from './endpoints.controller';
import { JobController } from './job.controller';
import { Kubelet } from './kubelet';
import { NamespaceController } from './namespace.controller';
import { ReplicaSetController } from './replicaset.controller';
import { StatefulSetController } from './statefulset.controller';
import { KubeError } from '../api/kube-error';
import { DisruptionController } from './disruption.controller';

export interface Controller {
  readonly name: string;
  /** Keys ("ns/name" or anything the controller understands) to reconcile for this event. */
  keysFor(event: StoreEvent): string[];
  reconcile(key: string): void;
}

export class ControllerManager {
  readonly kubelet: Kubelet;
  readonly disruption: DisruptionController;
  private readonly controllers: Controller[];
  private readonly queues = new Map<Controller, Set<string>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(readonly cluster: SimCluster) {
    this.kubelet = new Kubelet(cluster, this);
    this.disruption = new DisruptionController(cluster, this);
    this.controllers = [
      new NamespaceController(cluster),
      new CrdController(cluster),
      new DeploymentController(cluster, this),
      new ReplicaSetController(cluster),
      new DaemonSetController(cluster),
      new StatefulSetController(cluster),
      new JobController(cluster),
      new EndpointsController(cluster),
      new ApiServiceController(cluster),
      this.disruption,
      this.kubelet,
    ];
  }

  /** Extra controllers (the Linkerd model) register here. */
  add(controller: Controller): void {
    this.controllers.push(controller);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.cluster.store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  enqueue(controller: Controller, key: string): void {
    let q = this.queues.get(controller);
    if (!q) {
      q = new Set();
      this.queues.set(controller, q);
    }
    q.add(key);
    this.schedule();
  }

  enqueueByName(name: string, key: string): void {
    const c = this.controllers.find((x) => x.name === name);
    if (c) this.enqueue(c, key);
  }

  /** Runs fn after ms unless the cluster stops first. */
  after(ms: number, fn: () => void): void {
    if (!this.running) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.running) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private onEvent(e: StoreEvent): void {
    for (const c of this.controllers) for (const key of c.keysFor(e)) this.enqueue(c, key);
  }

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /**
   * A reconcile the API refused (an admission webhook failing closed, a conflict) is retried
   * with a growing delay, as a controller's rate-limited work queue does; other errors are bugs.
   */
  private reconcile(controller: Controller, key: string): void {
    const id = `${controller.name}\u0000${key}`;
    try {
      controller.reconcile(key);
      this.failures.delete(id);
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      const n = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, n);
      this.after(Math.min(200 * 2 ** (n - 1), 5_000), () => this.enqueue(controller, key));
    }
  }

  /** Drains all queues; reconciles may enqueue more, bounded to avoid a hot loop. */
  private drain(): void {
    this.scheduled = false;
    for (let round = 0; round < 50 && this.running; round++) {
      const work = [...this.queues.entries()].filter(([, q]) => q.size > 0);
      if (work.length === 0) return;
      for (const [controller, q] of work) {
        const keys = [...q];
        q.clear();
        for (const key of keys) this.reconcile(controller, key);
      }
    }
    this.schedule();
  }
}
