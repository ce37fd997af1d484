// Deployments: one ReplicaSet per pod-template hash, rolled with maxSurge/maxUnavailable
// (or Recreate), and the status fields and conditions `kubectl rollout status` reads.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { KubeObject, StoreEvent } from '../store/types';
import type { Controller, ControllerManager } from './controller-manager';
import {
  Condition,
  controllerRef,
  intOrPercent,
  isOwnedBy,
  selfAndOwnerKeys,
  setCondition,
  splitKey,
  templateHash,
} from './helpers';

interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels?: Record<string, string> };
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: unknown;
  };
  strategy?: {
    type?: string;
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

interface RsStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

const REVISION = 'deployment.kubernetes.io/revision';
const specReplicas = (rs: KubeObject): number => (rs['spec'] as { replicas?: number }).replicas ?? 0;
const st = (rs: KubeObject): RsStatus => (rs['status'] ?? {}) as RsStatus;

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  /** Deployments with a progress-deadline re-check pending (one timer each, not one per reconcile). */
  private readonly deadlineChecks = new Set<string>();
  constructor(
    private readonly cluster: SimCluster,
    private readonly manager: ControllerManager,
  ) {}

  keysFor(e: StoreEvent): string[] {
    return selfAndOwnerKeys(e, 'Deployment', 'Pod');
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const dType = this.cluster.type('apps', 'deployments');
    const rsType = this.cluster.type('apps', 'replicasets');
    const deploy = objects.find(dType, ns, name);
    if (!deploy || deploy.metadata.deletionTimestamp) return;
    const spec = deploy['spec'] as DeploymentSpec;
    const replicas = spec.replicas ?? 1;
    const owned = objects.list(rsType, ns).items.filter((rs) => isOwnedBy(rs, deploy));
    const hash = templateHash(spec.template);
    let newRs = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0)));
    if (spec.paused) return this.writeStatus(deploy, owned, newRs);
    if (!newRs) {
      newRs = objects.create(rsType, ns, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: ns,
          labels: { ...(spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash },
          annotations: {
            [REVISION]: String(maxRevision + 1),
            'deployment.kubernetes.io/desired-replicas': String(replicas),
          },
          ownerReferences: [controllerRef(deploy)],
        },
        spec: {
          replicas: 0,
          selector: {
            ...spec.selector,
            matchLabels: { ...(spec.selector.matchLabels ?? {}), 'pod-template-hash': hash },
          },
          template: {
            ...spec.template,
            metadata: {
              ...(spec.template.metadata ?? {}),
              labels: { ...(spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash },
            },
          },
        },
      });
    } else if (Number(newRs.metadata.annotations?.[REVISION] ?? 0) < maxRevision) {
      // Rolling back to an old template makes its ReplicaSet the newest revision again.
      newRs =
        objects.writeObject(rsType, {
          ...newRs,
          metadata: {
            ...newRs.metadata,
            annotations: { ...newRs.metadata.annotations, [REVISION]: String(maxRevision + 1) },
          },
        }) ?? newRs;
    }
    const olds = owned.filter((rs) => rs !== newRs && rs.metadata.uid !== newRs.metadata.uid);
    this.rollout(deploy, spec, replicas, newRs, olds);
    const revision = newRs.metadata.annotations?.[REVISION];
    if (revision && deploy.metadata.annotations?.[REVISION] !== revision) {
      objects.writeObject(dType, {
        ...deploy,
        metadata: {
          ...deploy.metadata,
          annotations: { ...deploy.metadata.annotations, [REVISION]: revision },
        },
      });
    }
    const fresh = objects.list(rsType, ns).items.filter((rs) => isOwnedBy(rs, deploy));
    this.writeStatus(
      objects.find(dType, ns, name) ?? deploy,
      fresh,
      fresh.find((rs) => rs.metadata.uid === newRs.metadata.uid),
    );
  }

  private scale(rs: KubeObject, replicas: number, deploy?: KubeObject): void {
    const from = specReplicas(rs);
    if (from === replicas) return;
    const rsType = this.cluster.type('apps', 'replicasets');
    this.cluster.objects.writeObject(rsType, { ...rs, spec: { ...(rs['spec'] as object), replicas } });
    if (deploy)
      this.cluster.events.record(
        deploy,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
        'deployment-controller',
      );
  }

  private rollout(
    deploy: KubeObject,
    spec: DeploymentSpec,
    replicas: number,
    newRs: KubeObject,
    olds: KubeObject[],
  ): void {
    if (spec.strategy?.type === 'Recreate') {
      for (const rs of olds) this.scale(rs, 0, deploy);
      if (olds.every((rs) => (st(rs).replicas ?? 0) === 0)) this.scale(newRs, replicas, deploy);
      return;
    }
    const ru = spec.strategy?.rollingUpdate ?? {};
    const surge = intOrPercent(ru.maxSurge, replicas, true, '25%');
    let unavailable = intOrPercent(ru.maxUnavailable, replicas, false, '25%');
    if (surge === 0 && unavailable === 0) unavailable = 1;
    const all = [newRs, ...olds];
    const total = all.reduce((n, rs) => n + specReplicas(rs), 0);
    // Scale up the new ReplicaSet within the surge budget.
    const newCount = specReplicas(newRs);
    if (newCount < replicas) {
      const up = Math.min(replicas - newCount, Math.max(0, replicas + surge - total));
      if (up > 0) this.scale(newRs, newCount + up, deploy);
    } else if (newCount > replicas) this.scale(newRs, replicas, deploy);
    // Scale old ReplicaSets down as far as availability allows; unavailable old pods go first.
    const minAvailable = replicas - unavailable;
    const newUnavailable = Math.max(0, specReplicas(newRs) - (st(newRs).availableReplicas ?? 0));
    let budget = total - minAvailable - newUnavailable;
    const oldest = [...olds].sort((a, b) =>
      String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
    );
    for (const rs of oldest) {
      const current = specReplicas(rs);
      const dead = Math.max(0, current - (st(rs).availableReplicas ?? 0));
      let next = current - dead;
      const extra = Math.min(next, Math.max(0, budget - dead));
      budget -= dead + extra;
      next -= extra;
      if (next !== current) this.scale(rs, Math.max(0, next), deploy);
    }
  }

  private writeStatus(deploy: KubeObject, owned: KubeObject[], newRs: KubeObject | undefined): void {
    const spec = deploy['spec'] as DeploymentSpec;
    const replicas = spec.replicas ?? 1;
    const sum = (f: (s: RsStatus) => number | undefined): number =>
      owned.reduce((n, rs) => n + (f(st(rs)) ?? 0), 0);
    const available = sum((s) => s.availableReplicas);
    const ready = sum((s) => s.readyReplicas);
    const current = sum((s) => s.replicas);
    const updated = newRs ? (st(newRs).replicas ?? 0) : 0;
    const unavailableAllowed =
      spec.strategy?.type === 'Recreate'
        ? 0
        : intOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable, replicas, false, '25%');
    const prev = (deploy['status'] ?? {}) as { conditions?: Condition[] };
    const now = nowIso();
    const complete =
      updated === replicas && current === replicas && available === replicas && newRs !== undefined;
    let conditions = setCondition(
      prev.conditions,
      available >= replicas - unavailableAllowed
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
            lastUpdateTime: now,
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
            lastUpdateTime: now,
          },
      now,
    );
    const rsName = newRs?.metadata.name ?? '';
    const progressing = prev.conditions?.find((c) => c.type === 'Progressing');
    const deadline = (spec.progressDeadlineSeconds ?? 600) * 1000;
    if (complete) {
      conditions = setCondition(
        conditions,
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${rsName}" has successfully progressed.`,
          lastUpdateTime: now,
        },
        now,
      );
    } else if (
      progressing &&
      progressing.reason !== 'NewReplicaSetAvailable' &&
      progressing.lastUpdateTime &&
      Date.now() - Date.parse(progressing.lastUpdateTime) > deadline
    ) {
      conditions = setCondition(
        conditions,
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`,
          lastUpdateTime: now,
        },
        now,
      );
    } else if (progressing?.reason !== 'ProgressDeadlineExceeded') {
      const reason =
        progressing && progressing.status === 'True' && progressing.reason === 'ReplicaSetUpdated'
          ? progressing
          : undefined;
      conditions = setCondition(
        conditions,
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: `ReplicaSet "${rsName}" is progressing.`,
          lastUpdateTime: reason?.lastUpdateTime ?? now,
        },
        now,
      );
      // Re-check for the progress deadline once it could have passed.
      const key = `${deploy.metadata.namespace}/${deploy.metadata.name}`;
      const since = Date.parse(progressing?.lastUpdateTime ?? now);
      const check = `${key}@${since + deadline}`;
      if (!this.deadlineChecks.has(check)) {
        this.deadlineChecks.add(check);
        this.manager.after(Math.min(Math.max(0, since + deadline - Date.now()) + 1100, 2_147_000_000), () => {
          this.deadlineChecks.delete(check);
          this.manager.enqueueByName(this.name, key);
        });
      }
    }
    this.cluster.objects.writeStatus(this.cluster.type('apps', 'deployments'), deploy, {
      observedGeneration: deploy.metadata.generation ?? 1,
      replicas: current,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions,
    });
  }
}
