// Scheduler and kubelet in one: binds pods to Ready nodes, starts them after the cluster's
// pod-ready delay, and reports container statuses. Faults and the Linkerd identity gate
// decide whether a started pod turns Ready.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { KubeObject, StoreEvent } from '../store/types';
import type { Controller, ControllerManager } from './controller-manager';
import { nsName, ownerOf, podPhase, splitKey } from './helpers';
import { mountFailures, referencedObjects } from './volumes';
import { place } from './scheduling';

interface ContainerSpec {
  name: string;
  image?: string;
  restartPolicy?: string;
}

interface PodSpec {
  nodeName?: string;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy?: string;
}

interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  state: Record<string, Record<string, unknown>>;
}

/** Why a started pod's container is not ready (the Linkerd model adds its own gate). */
export type ReadinessGate = (pod: KubeObject) => { container: string; reason: string } | undefined;

const PROXY_CONTAINER = 'linkerd-proxy';
/** A linkerd-proxy container or native sidecar (what the meshed-only fault keys on). */
const meshed = (spec: PodSpec): boolean =>
  [...spec.containers, ...(spec.initContainers ?? [])].some((c) => c.name === PROXY_CONTAINER);

export function nodeReady(node: KubeObject | undefined): boolean {
  const conds =
    (node?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ??
    [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class Kubelet implements Controller {
  readonly name = 'kubelet';
  readonly gates: ReadinessGate[] = [];
  private readonly started = new Map<string, number>();
  private readonly restarts = new Map<string, number>();
  /** Pods with a start or crash-loop timer pending, so reconciles do not stack timers. */
  private readonly waiting = new Set<string>();
  /** Pods whose volumes could not be set up: uid → retries so far (for the back-off). */
  private readonly mountRetries = new Map<string, number>();
  private readonly mountRetryPending = new Set<string>();
  /** uid → container → OOM kills so far, when the last one happened and when it had started. */
  private readonly oomKills = new Map<
    string,
    Map<string, { count: number; at: string; prevStart: string }>
  >();
  private ipCounter = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly manager: ControllerManager,
  ) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind === 'Pod') {
      if (e.type === 'DELETED') {
        this.started.delete(e.object.metadata.uid ?? '');
        this.restarts.delete(e.object.metadata.uid ?? '');
        this.waiting.delete(e.object.metadata.uid ?? '');
        this.mountRetries.delete(e.object.metadata.uid ?? '');
        this.mountRetryPending.delete(e.object.metadata.uid ?? '');
        this.oomKills.delete(e.object.metadata.uid ?? '');
        // The room it leaves may let a pending pod schedule.
        return this.unscheduled().map(nsName);
      }
      return [nsName(e.object)];
    }
    if (e.object.kind === 'Secret' || e.object.kind === 'ConfigMap') return this.podsWaitingFor(e.object);
    if (e.object.kind === 'Node' && e.type !== 'ADDED')
      return [...this.podsOn(e.object.metadata.name ?? ''), ...this.unscheduled()].map(nsName);
    if (e.object.kind === 'Node') return this.unscheduled().map(nsName);
    return [];
  }

  /**
   * The kernel OOM-kills a running container: the kubelet restarts it at once (restartCount+1,
   * lastState.terminated.reason OOMKilled, exit code 137). Returns false when it is not running.
   */
  oomKill(pod: KubeObject, container: string): boolean {
    const uid = pod.metadata.uid ?? '';
    const spec = pod['spec'] as PodSpec;
    const known = [
      ...spec.containers,
      ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
    ];
    if (!this.started.has(uid) || podPhase(pod) !== 'Running' || !known.some((c) => c.name === container))
      return false;
    const kills = this.oomKills.get(uid) ?? new Map();
    const prev = kills.get(container);
    const podStart = new Date(this.started.get(uid)!).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const now = nowIso();
    kills.set(container, { count: (prev?.count ?? 0) + 1, at: now, prevStart: prev?.at ?? podStart });
    this.oomKills.set(uid, kills);
    this.cluster.events.record(pod, 'Normal', 'Started', `Started container ${container}`, 'kubelet');
    this.manager.enqueue(this, nsName(pod));
    return true;
  }

  /** Re-evaluates every pod (after faults or the identity state change). */
  resyncAll(): void {
    for (const p of this.cluster.store.list('/pods')) this.manager.enqueue(this, nsName(p));
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const podType = this.cluster.type('', 'pods');
    const pod = this.cluster.objects.find(podType, ns, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const spec = pod['spec'] as PodSpec;
    if (!spec.nodeName) {
      const placement = this.placementOf(pod);
      if (placement.node === null) {
        const prev = (
          pod['status'] as { conditions?: Array<{ type: string; message?: string }> } | undefined
        )?.conditions?.find((c) => c.type === 'PodScheduled');
        if (prev?.message === placement.message) return;
        const written = this.cluster.objects.writeStatus(podType, pod, {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: placement.message,
              lastTransitionTime: nowIso(),
            },
          ],
        });
        if (written)
          this.cluster.events.record(
            written,
            'Warning',
            'FailedScheduling',
            placement.message,
            'default-scheduler',
          );
        return;
      }
      const node = placement.node;
      const bound = this.cluster.objects.writeObject(podType, { ...pod, spec: { ...spec, nodeName: node } });
      if (bound)
        this.cluster.events.record(
          bound,
          'Normal',
          'Scheduled',
          `Successfully assigned ${ns}/${name} to ${node}`,
          'default-scheduler',
        );
      return;
    }
    this.cluster.objects.writeStatus(podType, pod, this.statusFor(pod, spec));
  }

  private statusFor(pod: KubeObject, spec: PodSpec): Record<string, unknown> {
    const uid = pod.metadata.uid ?? '';
    const prev = (pod['status'] ?? {}) as Record<string, unknown>;
    const node = this.cluster.objects.find(this.cluster.type('', 'nodes'), undefined, spec.nodeName ?? '');
    const created = (prev['startTime'] as string | undefined) ?? nowIso();
    const podIP = (prev['podIP'] as string | undefined) ?? this.nextIp();
    const base = {
      hostIP: this.nodeIp(node),
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: created,
      qosClass: 'BestEffort',
    };
    const fault = this.cluster.workloadFaults.match(
      pod.metadata.namespace,
      pod.metadata.labels,
      meshed(spec),
    );
    const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: created };
    /** Containers not started yet: Pending, every container waiting in ContainerCreating. */
    const creating = (initializedCondition: boolean) => ({
      ...base,
      phase: 'Pending',
      conditions: [
        scheduled,
        ...(initializedCondition
          ? [{ type: 'Initialized', status: 'False', lastTransitionTime: created }]
          : []),
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: created },
      ],
      containerStatuses: spec.containers.map((c) =>
        this.status(c, false, { waiting: { reason: 'ContainerCreating' } }, 0),
      ),
    });
    if (fault?.kind === 'stall' && !this.started.has(uid)) return creating(false);
    if (!this.started.has(uid) && !this.waiting.has(uid) && this.volumesBlock(pod)) return creating(true);
    if (!this.started.has(uid)) {
      if (!this.waiting.has(uid)) {
        this.waiting.add(uid);
        this.manager.after(this.cluster.settings.podReadyDelayMs, () => {
          this.waiting.delete(uid);
          this.started.set(uid, Date.now());
          for (const c of [...(spec.initContainers ?? []), ...spec.containers])
            this.cluster.events.record(pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
          this.manager.enqueue(this, nsName(pod));
        });
      }
      return creating(true);
    }
    const startedAt = new Date(this.started.get(uid)!).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const job =
      ownerOf(pod)?.kind === 'Job' || spec.restartPolicy === 'Never' || spec.restartPolicy === 'OnFailure';
    if (job && fault?.kind !== 'crash' && spec.containers.some((c) => c.name === PROXY_CONTAINER)) {
      // A proxy as a regular container never exits on its own: the app finishes, the pod keeps
      // Running and the Job never completes (native sidecars are stopped when the app is done).
      return {
        ...base,
        phase: 'Running',
        conditions: [
          scheduled,
          { type: 'Initialized', status: 'True', lastTransitionTime: startedAt },
          { type: 'ContainersReady', status: 'False', lastTransitionTime: startedAt },
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: `containers with unready status: [${spec.containers
              .filter((c) => c.name !== PROXY_CONTAINER)
              .map((c) => c.name)
              .join(' ')}]`,
            lastTransitionTime: startedAt,
          },
        ],
        containerStatuses: spec.containers.map((c) =>
          c.name === PROXY_CONTAINER
            ? this.status(c, true, { running: { startedAt } }, 0)
            : this.status(
                c,
                false,
                { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
                0,
              ),
        ),
      };
    }
    if (job && fault?.kind !== 'crash') {
      return {
        ...base,
        phase: 'Succeeded',
        conditions: [
          scheduled,
          { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: startedAt },
        ],
        containerStatuses: spec.containers.map((c) =>
          this.status(
            c,
            false,
            { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
            0,
          ),
        ),
      };
    }
    const gate = this.gates.map((g) => g(pod)).find((x) => x !== undefined);
    const nodeOk = nodeReady(node);
    let restarts = this.restarts.get(uid) ?? 0;
    if (fault?.kind === 'crash' && !this.waiting.has(uid)) {
      restarts++;
      this.cluster.events.record(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${spec.containers[0]?.name ?? ''} in pod ${pod.metadata.name}`,
        'kubelet',
      );
      this.restarts.set(uid, restarts);
      this.waiting.add(uid);
      this.manager.after(1000, () => {
        this.waiting.delete(uid);
        this.manager.enqueue(this, nsName(pod));
      });
    }
    const appStatus = (c: ContainerSpec): ContainerStatus => {
      if (fault?.kind === 'crash')
        return this.status(
          c,
          false,
          {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off restarting failed container ${c.name}`,
            },
          },
          restarts,
          { terminated: { exitCode: 1, reason: 'Error' } },
        );
      // Meshing breaks the app, not the proxy: its readiness probe fails, linkerd-proxy is fine.
      const faulted =
        fault?.kind === 'notReady' || (fault?.kind === 'notReadyMeshed' && c.name !== PROXY_CONTAINER);
      const ready = nodeOk && !faulted && gate?.container !== c.name;
      const oom = this.oomKills.get(uid)?.get(c.name);
      if (oom)
        return this.status(c, ready, { running: { startedAt: oom.at } }, restarts + oom.count, {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: oom.prevStart,
            finishedAt: oom.at,
            containerID: `containerd://${c.name}`,
          },
        });
      return this.status(c, ready, { running: { startedAt } }, restarts);
    };
    if (fault?.kind === 'notReadyMeshed' && nodeOk)
      this.cluster.events.record(
        pod,
        'Warning',
        'Unhealthy',
        'Readiness probe failed: HTTP probe failed with statuscode: 503',
        'kubelet',
      );
    const containerStatuses = spec.containers.map(appStatus);
    const initContainerStatuses = (spec.initContainers ?? []).map((c) =>
      c.restartPolicy === 'Always'
        ? { ...appStatus(c), started: true }
        : this.status(
            c,
            true,
            { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
            0,
          ),
    );
    const sidecarsReady = initContainerStatuses.every((s) => s.ready);
    const allReady = containerStatuses.every((s) => s.ready) && sidecarsReady;
    const readyCond = allReady
      ? { type: 'Ready', status: 'True', lastTransitionTime: startedAt }
      : {
          type: 'Ready',
          status: 'False',
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${[...containerStatuses, ...initContainerStatuses]
            .filter((s) => !s.ready)
            .map((s) => s.name)
            .join(' ')}]`,
          lastTransitionTime: startedAt,
        };
    return {
      ...base,
      phase: 'Running',
      conditions: [
        scheduled,
        { type: 'Initialized', status: 'True', lastTransitionTime: startedAt },
        { type: 'ContainersReady', status: allReady ? 'True' : 'False', lastTransitionTime: startedAt },
        readyCond,
      ],
      containerStatuses,
      ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    };
  }

  private status(
    c: ContainerSpec,
    ready: boolean,
    state: ContainerStatus['state'],
    restartCount: number,
    lastState?: ContainerStatus['state'],
  ): ContainerStatus {
    const image = c.image ?? 'busybox:latest';
    return {
      name: c.name,
      ready,
      started: 'running' in state,
      restartCount,
      image,
      imageID: `${image.split(':')[0]}@sha256:${'0'.repeat(64)}`,
      ...('waiting' in state ? {} : { containerID: `containerd://${c.name}` }),
      state,
      ...(lastState ? { lastState } : {}),
    };
  }

  logs(pod: KubeObject, container: string | undefined, tailLines: number | undefined): string {
    const spec = pod['spec'] as PodSpec;
    const all = [...(spec.initContainers ?? []), ...spec.containers];
    const target = container ?? spec.containers[0]?.name ?? '';
    if (!all.some((c) => c.name === target))
      return `container "${target}" in pod "${pod.metadata.name}" is not valid\n`;
    const started = this.started.get(pod.metadata.uid ?? '');
    if (!started || podPhase(pod) === 'Pending') return '';
    const t0 = new Date(started).toISOString();
    const lines =
      target === 'linkerd-proxy'
        ? [
            `[     0.001234s]  INFO ThreadId(01) linkerd2_proxy: release ${pod.metadata.annotations?.['linkerd.io/proxy-version'] ?? 'unknown'} by linkerd`,
            `[     0.002000s]  INFO ThreadId(01) linkerd2_proxy: Admin interface on 0.0.0.0:4191`,
            `[     0.002100s]  INFO ThreadId(01) linkerd2_proxy: Inbound interface on 0.0.0.0:4143`,
            `[     0.002200s]  INFO ThreadId(01) linkerd2_proxy: Outbound interface on 127.0.0.1:4140`,
            `[     0.050000s]  INFO ThreadId(02) daemon:identity: linkerd_app: Certified identity id=${pod.metadata.namespace}`,
          ]
        : target === 'linkerd-init'
          ? [`${t0} INFO iptables rules configured`]
          : [`${t0} starting ${target}`, `${t0} listening on :8080`, `${t0} ready`];
    const out = tailLines !== undefined && tailLines >= 0 ? lines.slice(-tailLines) : lines;
    return out.length ? out.join('\n') + '\n' : '';
  }

  /**
   * The kubelet sets up volumes before it starts containers; while one cannot be set up it
   * records FailedMount and retries with a growing back-off (500 ms doubling, at most 2 min),
   * and a change to a referenced Secret/ConfigMap re-checks at once.
   */
  private volumesBlock(pod: KubeObject): boolean {
    const uid = pod.metadata.uid ?? '';
    const failures = mountFailures(this.cluster, pod);
    if (failures.length === 0) {
      this.mountRetries.delete(uid);
      return false;
    }
    for (const f of failures) this.cluster.events.record(pod, 'Warning', 'FailedMount', f.message, 'kubelet');
    if (!this.mountRetryPending.has(uid)) {
      const n = this.mountRetries.get(uid) ?? 0;
      this.mountRetries.set(uid, n + 1);
      this.mountRetryPending.add(uid);
      this.manager.after(Math.min(500 * 2 ** n, 120_000), () => {
        this.mountRetryPending.delete(uid);
        this.manager.enqueue(this, nsName(pod));
      });
    }
    return true;
  }

  /** Pods in the object's namespace that have not started and mount it. */
  private podsWaitingFor(obj: KubeObject): string[] {
    const kind = obj.kind === 'Secret' ? 'secret' : 'configmap';
    return this.cluster.store
      .list('/pods', obj.metadata.namespace)
      .filter((p) => !this.started.has(p.metadata.uid ?? ''))
      .filter((p) => referencedObjects(p).some((r) => r.kind === kind && r.name === obj.metadata.name))
      .map(nsName);
  }

  private podsOn(node: string): KubeObject[] {
    return this.cluster.store.list('/pods').filter((p) => (p['spec'] as PodSpec).nodeName === node);
  }

  private unscheduled(): KubeObject[] {
    return this.cluster.store.list('/pods').filter((p) => !(p['spec'] as PodSpec).nodeName);
  }

  /** The least-loaded feasible node (see scheduling.ts), or why there is none. */
  private placementOf(pod: KubeObject) {
    return place({
      pod,
      nodes: this.cluster.store.list('/nodes'),
      // The scheduler watches bound pods that are not terminal.
      placed: this.cluster.store
        .list('/pods')
        .filter((p) => (p['spec'] as PodSpec).nodeName && !['Succeeded', 'Failed'].includes(podPhase(p))),
      namespaces: new Map(this.cluster.store.list('/namespaces').map((n) => [n.metadata.name ?? '', n])),
      nodeUsable: (n) =>
        nodeReady(n) && !(n['spec'] as { unschedulable?: boolean } | undefined)?.unschedulable,
    });
  }

  private nodeIp(node: KubeObject | undefined): string {
    const addrs =
      (node?.['status'] as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ??
      [];
    return addrs.find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
  }

  private nextIp(): string {
    const n = ++this.ipCounter;
    return `10.244.${(n >> 8) & 255}.${n & 255}`;
  }
}
