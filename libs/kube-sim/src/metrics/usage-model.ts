// CPU and memory each running container uses, derived from the traffic graph: a proxy's
// memory grows with the requests and connections it carries (benchmarks put a proxy at
// ~18–26 MB at 2,000 RPS), the control plane's with the number of meshed pods it serves.
// Both metrics.k8s.io and the proxy's own process_* metrics read from here, so they agree.
import { parseQuantity } from '@meshfleet/core';
import type { SimCluster } from '../cluster/sim-cluster';
import { podPhase } from '../controllers/helpers';
import { KubeObject } from '../store/types';
import { TrafficEdge, WorkloadView, workloadOf } from '../linkerd/proxy-metrics';
import { hasProxy } from '../linkerd/proxy-spec';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface ContainerUsage {
  name: string;
  cpuCores: number;
  memoryBytes: number;
}

export interface MemoryLeakRule {
  id: number;
  namespace: string;
  matchLabels: Record<string, string>;
  container: string;
  bytesPerSecond: number;
  since: number;
}

interface ContainerSpec {
  name: string;
  restartPolicy?: string;
  resources?: { limits?: Record<string, string | number> };
}

/** Lookups behind a pod's usage, kept for the pods of one batch (see UsageModel.inputs). */
interface UsageInputs {
  /** Running pods of a workload ("namespace/name"); undefined when it has no view. */
  runningPods(ref: string): number | undefined;
  /** Traffic edges from or to a workload, in the graph's order. */
  edgesOf(ref: string): TrafficEdge[];
  /** Running pods with a proxy, cluster-wide (the control plane's load). */
  meshedPods(): number;
}

/** How often a leaking container's memory is held against its limit. */
export const OOM_SWEEP_MS = 250;

/** Per-container base figures for the control plane (memory, CPU) plus growth per meshed pod. */
const CONTROL_PLANE: Record<string, { mem: number; memPerPod: number; cpu: number; cpuPerPod: number }> = {
  destination: { mem: 28 * MiB, memPerPod: 48 * KiB, cpu: 0.002, cpuPerPod: 0.0002 },
  policy: { mem: 18 * MiB, memPerPod: 16 * KiB, cpu: 0.001, cpuPerPod: 0.00005 },
  'sp-validator': { mem: 12 * MiB, memPerPod: 0, cpu: 0.0005, cpuPerPod: 0 },
  identity: { mem: 14 * MiB, memPerPod: 4 * KiB, cpu: 0.001, cpuPerPod: 0.00002 },
  'proxy-injector': { mem: 20 * MiB, memPerPod: 2 * KiB, cpu: 0.001, cpuPerPod: 0.00001 },
};

export class UsageModel {
  private readonly leaks: MemoryLeakRule[] = [];
  private nextId = 1;
  /** uid/container → last CPU sample, integrated into process_cpu_seconds_total. */
  private readonly cpu = new Map<string, { at: number; seconds: number; startedAt: number }>();
  private sweeping = false;
  /** uid/container → when the sweep last OOM-killed it. */
  private readonly killedAt = new Map<string, number>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly edges: TrafficEdge[],
    private readonly workload: (ref: string) => WorkloadView | undefined,
  ) {}

  addLeak(rule: Omit<MemoryLeakRule, 'id' | 'since'>): MemoryLeakRule {
    const full = { ...rule, id: this.nextId++, since: Date.now() };
    this.leaks.push(full);
    this.sweepSoon();
    return full;
  }

  clearLeaks(): void {
    this.leaks.length = 0;
  }

  /**
   * Containers whose working set is above their memory limit now: the kernel's OOM killer ends
   * them, and the kubelet restarts them (memory back to its base, the leak counting from the
   * restart). Only leaking containers can get there in this model.
   */
  overLimit(now = Date.now()): Array<{ pod: KubeObject; container: string }> {
    const out: Array<{ pod: KubeObject; container: string }> = [];
    if (this.leaks.length === 0) return out;
    const inputs = this.inputs();
    for (const pod of this.cluster.store.list('/pods')) {
      if (!this.leaks.some((l) => this.matches(l, pod))) continue;
      const spec = (pod['spec'] ?? {}) as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
      const limits = new Map<string, number>();
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        const limit = parseQuantity(c.resources?.limits?.['memory']);
        if (limit) limits.set(c.name, limit);
      }
      if (limits.size === 0) continue;
      for (const u of this.podUsage(pod, now, inputs)) {
        const limit = limits.get(u.name);
        if (limit !== undefined && u.memoryBytes > limit) out.push({ pod, container: u.name });
      }
    }
    return out;
  }

  /** While a leak is set, OOM-kills the containers it pushed past their limit. */
  private sweepSoon(): void {
    if (this.sweeping) return;
    this.sweeping = true;
    this.cluster.controllers.after(OOM_SWEEP_MS, () => {
      this.sweeping = false;
      const now = Date.now();
      for (const { pod, container } of this.overLimit(now)) {
        // Until the kubelet has written the restart into the status the old figure still shows.
        const key = `${pod.metadata.uid ?? ''}/${container}`;
        if (now - (this.killedAt.get(key) ?? 0) < 2000) continue;
        if (this.cluster.controllers.kubelet.oomKill(pod, container)) this.killedAt.set(key, now);
      }
      if (this.leaks.length > 0) this.sweepSoon();
    });
  }

  listLeaks(): MemoryLeakRule[] {
    return [...this.leaks];
  }

  /** Requests per second and open connections through one pod's proxy. */
  traffic(pod: KubeObject, inputs = this.inputs()): { rps: number; connections: number } {
    const self = `${pod.metadata.namespace ?? ''}/${workloadOf(pod)}`;
    const share = Math.max(1, inputs.runningPods(self) ?? 1);
    let rps = 0;
    let connections = 0;
    for (const e of inputs.edgesOf(self)) {
      if (e.from === self) {
        rps += e.rps / share;
        connections += e.connections;
      }
      if (e.to === self) {
        rps += e.rps / share;
        connections += e.connections * (inputs.runningPods(e.from) ?? 0);
      }
    }
    return { rps, connections };
  }

  /**
   * Usage of many pods at one instant (a PodMetrics list, a node's sum): the workload, edge and
   * meshed-pod lookups are shared by the batch instead of repeated per pod.
   */
  podsUsage(pods: KubeObject[], now = Date.now()): ContainerUsage[][] {
    const inputs = this.inputs();
    return pods.map((pod) => this.podUsage(pod, now, inputs));
  }

  /** Running containers (and native sidecars) of a running pod with their current usage. */
  podUsage(pod: KubeObject, now = Date.now(), inputs = this.inputs()): ContainerUsage[] {
    if (podPhase(pod) !== 'Running') return [];
    const spec = (pod['spec'] ?? {}) as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
    const running = [
      ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
      ...(spec.containers ?? []),
    ];
    const cpComponent = pod.metadata.labels?.['linkerd.io/control-plane-component'];
    const { rps, connections } = this.traffic(pod, inputs);
    const meshedPods = cpComponent ? inputs.meshedPods() : 0;
    return running.map((c) => {
      const started = this.startedAt(pod, c.name, now);
      let cpuCores: number;
      let memoryBytes: number;
      const cp = cpComponent ? CONTROL_PLANE[c.name] : undefined;
      if (c.name === 'linkerd-proxy') {
        cpuCores = 0.001 + 0.0001 * rps;
        memoryBytes = 10 * MiB + 8 * KiB * rps + 256 * KiB * connections;
      } else if (cp) {
        cpuCores = cp.cpu + cp.cpuPerPod * meshedPods;
        memoryBytes = cp.mem + cp.memPerPod * meshedPods;
      } else {
        cpuCores = 0.005 + 0.0004 * rps;
        memoryBytes = 48 * MiB + 32 * KiB * rps;
      }
      // A leak counts from when the rule was set or the container (re)started, whichever is later.
      for (const leak of this.leaks)
        if (leak.container === c.name && this.matches(leak, pod))
          memoryBytes += leak.bytesPerSecond * Math.max(0, (now - Math.max(leak.since, started)) / 1000);
      return { name: c.name, cpuCores, memoryBytes: Math.round(memoryBytes) };
    });
  }

  /** process_cpu_seconds_total of a container: its usage integrated since it (re)started. */
  cpuSeconds(pod: KubeObject, container: string, cores: number, now = Date.now()): number {
    const key = `${pod.metadata.uid ?? ''}/${container}`;
    const startedAt = this.startedAt(pod, container, now);
    const prev = this.cpu.get(key);
    const seconds =
      prev && prev.startedAt === startedAt
        ? prev.seconds + (cores * Math.max(0, now - prev.at)) / 1000
        : (cores * Math.max(0, now - startedAt)) / 1000;
    this.cpu.set(key, { at: now, seconds, startedAt });
    return seconds;
  }

  /** When the container last started: its running.startedAt, else the pod's start time. */
  startedAt(pod: KubeObject, container: string, now = Date.now()): number {
    const status = (pod['status'] ?? {}) as {
      startTime?: string;
      containerStatuses?: Array<{ name: string; state?: { running?: { startedAt?: string } } }>;
      initContainerStatuses?: Array<{ name: string; state?: { running?: { startedAt?: string } } }>;
    };
    const cs = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])].find(
      (s) => s.name === container,
    );
    const at = cs?.state?.running?.startedAt ?? status.startTime;
    const t = at ? Date.parse(at) : NaN;
    return Number.isFinite(t) ? t : now;
  }

  /**
   * The cluster-wide figures a pod's usage depends on, each read once and then kept: one set
   * serves one pod or a batch of pods read at the same instant.
   */
  private inputs(): UsageInputs {
    const running = new Map<string, number | undefined>();
    let byWorkload: Map<string, TrafficEdge[]> | undefined;
    let meshed: number | undefined;
    return {
      runningPods: (ref) => {
        if (!running.has(ref)) running.set(ref, this.workload(ref)?.pods.length);
        return running.get(ref);
      },
      edgesOf: (ref) => {
        if (!byWorkload) {
          byWorkload = new Map();
          for (const e of this.edges)
            for (const end of e.from === e.to ? [e.from] : [e.from, e.to]) {
              const list = byWorkload.get(end) ?? [];
              list.push(e);
              byWorkload.set(end, list);
            }
        }
        return byWorkload.get(ref) ?? [];
      },
      meshedPods: () =>
        (meshed ??= this.cluster.store
          .list('/pods')
          .filter((p) => hasProxy(p) && podPhase(p) === 'Running').length),
    };
  }

  private matches(rule: MemoryLeakRule, pod: KubeObject): boolean {
    const labels = pod.metadata.labels ?? {};
    return (
      rule.namespace === pod.metadata.namespace &&
      Object.entries(rule.matchLabels).every(([k, v]) => labels[k] === v)
    );
  }
}
