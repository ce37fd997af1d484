// PodDisruptionBudgets: kube-controller-manager's disruption controller (status: expected and
// healthy pods, disruptions allowed, the DisruptionAllowed condition) and the API server's
// Eviction subresource that spends the budget. Evictions are how a careful restart takes pods
// down; a plain DELETE ignores budgets, as in Kubernetes.
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeError, notFound, badRequest } from '../api/kube-error';
import { nowIso } from '../api/object-service';
import { LabelSelectorSpec, selectorMatches } from '../api/selectors';
import { KubeObject, StoreEvent } from '../store/types';
import type { Controller, ControllerManager } from './controller-manager';
import { nsName, podPhase, podReady, splitKey } from './helpers';

/** How long an evicted pod may take to go before the budget counts it healthy again. */
const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

interface PdbSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: LabelSelectorSpec;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface PdbStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: Array<Record<string, unknown>>;
}

/** policy/v1: an empty selector selects every pod in the namespace, a missing one none. */
export function pdbSelects(pdb: KubeObject, pod: KubeObject): boolean {
  const sel = (pdb['spec'] as PdbSpec | undefined)?.selector;
  if (!sel) return false;
  return selectorMatches(sel, pod.metadata.labels ?? {});
}

/** An int, or a percentage of `total` rounded up (the disruption controller rounds up both ways). */
function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly rechecks = new Set<string>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly manager: ControllerManager,
  ) {}

  keysFor(e: StoreEvent): string[] {
    const kind = e.object.kind;
    if (kind === 'PodDisruptionBudget') return [nsName(e.object)];
    const ns = e.object.metadata.namespace;
    if (!ns) return [];
    const pdbs = this.cluster.store.list('policy/poddisruptionbudgets', ns);
    if (!pdbs.length) return [];
    if (kind === 'Pod')
      return pdbs
        .filter((p) => pdbSelects(p, e.object) || (e.oldObject !== undefined && pdbSelects(p, e.oldObject)))
        .map(nsName);
    // A controller's scale is the denominator of percentages and maxUnavailable.
    if (['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'].includes(kind))
      return pdbs.map(nsName);
    return [];
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const type = this.cluster.type('policy', 'poddisruptionbudgets');
    const pdb = this.cluster.objects.find(type, ns, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const spec = (pdb['spec'] ?? {}) as PdbSpec;
    const prev = (pdb['status'] ?? {}) as Partial<PdbStatus>;
    const generation = pdb.metadata.generation ?? 1;
    const pods = this.cluster.store.list('/pods', ns).filter((p) => pdbSelects(pdb, p));
    let expected: { expectedPods: number; desiredHealthy: number };
    try {
      expected = this.expected(spec, pods);
    } catch (e) {
      // Fail safe: no disruptions while the budget cannot be computed.
      const message = e instanceof Error ? e.message : String(e);
      this.cluster.events.record(
        pdb,
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${message}`,
        'controllermanager',
      );
      this.write(pdb, {
        ...(prev as PdbStatus),
        disruptionsAllowed: 0,
        currentHealthy: prev.currentHealthy ?? 0,
        desiredHealthy: prev.desiredHealthy ?? 0,
        expectedPods: prev.expectedPods ?? 0,
        conditions: [this.condition(prev, false, 'SyncFailed', message)],
      });
      return;
    }
    const now = Date.now();
    const disrupted: Record<string, string> = {};
    let recheck: number | undefined;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      const at = prev.disruptedPods?.[p.metadata.name ?? ''];
      if (!at) continue;
      const due = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (due < now) {
        this.cluster.events.record(
          p,
          'Warning',
          'NotDeleted',
          `Pod was expected by PDB ${ns}/${ns} to be deleted but it wasn't`,
          'controllermanager',
        );
        continue;
      }
      disrupted[p.metadata.name ?? ''] = at;
      recheck = recheck === undefined ? due : Math.min(recheck, due);
    }
    const currentHealthy = pods.filter(
      (p) => !p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && podReady(p),
    ).length;
    let allowed = currentHealthy - expected.desiredHealthy;
    if (expected.expectedPods <= 0 || allowed <= 0) allowed = 0;
    this.write(pdb, {
      observedGeneration: generation,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy,
      desiredHealthy: expected.desiredHealthy,
      expectedPods: expected.expectedPods,
      conditions: [
        allowed > 0
          ? this.condition(prev, true, 'SufficientPods', '', generation)
          : this.condition(prev, false, 'InsufficientPods', '', generation),
      ],
    });
    if (recheck !== undefined) {
      const id = `${key}@${recheck}`;
      if (!this.rechecks.has(id)) {
        this.rechecks.add(id);
        this.manager.after(Math.max(0, recheck - now) + 50, () => {
          this.rechecks.delete(id);
          this.manager.enqueueByName(this.name, key);
        });
      }
    }
  }

  /**
   * The Eviction subresource: deletes the pod when no budget forbids it, else 429 with the
   * budget's reason. Pending or finished pods and pods already going ignore budgets.
   */
  evict(namespace: string, name: string, body: unknown, dryRunQuery: boolean): void {
    const podType = this.cluster.type('', 'pods');
    const eviction = (body ?? {}) as {
      kind?: string;
      metadata?: { name?: string };
      deleteOptions?: {
        dryRun?: string[];
        gracePeriodSeconds?: number;
        preconditions?: { uid?: string; resourceVersion?: string };
        propagationPolicy?: string;
      };
    };
    if (eviction.kind !== undefined && eviction.kind !== 'Eviction')
      throw badRequest(`not a Eviction object: ${eviction.kind}`);
    if (eviction.metadata?.name !== name)
      throw badRequest('name in URL does not match name in Eviction object');
    const opts = eviction.deleteOptions ?? {};
    const dryRun = dryRunQuery || (opts.dryRun ?? []).includes('All');
    const pod = this.cluster.objects.find(podType, namespace, name);
    if (!pod) throw notFound('pods', '', name, 'pods');
    const remove = (): void => {
      this.cluster.objects.delete(podType, namespace, name, {
        dryRun,
        ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
        ...(opts.preconditions?.uid ? { preconditionUid: opts.preconditions.uid } : {}),
        ...(opts.preconditions?.resourceVersion
          ? { preconditionRv: opts.preconditions.resourceVersion }
          : {}),
      });
    };
    const phase = podPhase(pod);
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp)
      return remove();
    const pdbType = this.cluster.type('policy', 'poddisruptionbudgets');
    const pdbs = this.cluster.store
      .list('policy/poddisruptionbudgets', namespace)
      .filter((p) => pdbSelects(p, pod));
    if (pdbs.length > 1)
      throw new KubeError(
        'InternalError',
        'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        {
          causes: [
            {
              message:
                'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
            },
          ],
        },
      );
    const pdb = pdbs[0];
    if (!pdb) return remove();
    const spec = (pdb['spec'] ?? {}) as PdbSpec;
    const status = (pdb['status'] ?? {}) as Partial<PdbStatus>;
    if (!podReady(pod)) {
      // An unready pod adds nothing to the budget: it may go when the budget is met anyway.
      const desired = status.desiredHealthy ?? 0;
      if (
        spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
        ((status.currentHealthy ?? 0) >= desired && desired > 0)
      )
        return remove();
    }
    if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1))
      throw tooManyRequests(
        `The disruption budget ${pdb.metadata.name} is still being processed by the server.`,
        10,
      );
    const allowed = status.disruptionsAllowed ?? 0;
    if (allowed < 0)
      throw new KubeError(
        'Forbidden',
        `poddisruptionbudgets.policy "${pdb.metadata.name}" is forbidden: pdb disruptions allowed is negative`,
        { name: pdb.metadata.name ?? '', group: 'policy', kind: 'poddisruptionbudgets' },
      );
    if (allowed === 0) throw tooManyRequests(deniedMessage(pdb), 0);
    if (dryRun) return remove();
    const left = allowed - 1;
    const next: PdbStatus = {
      ...(status as PdbStatus),
      disruptionsAllowed: left,
      disruptedPods: { ...(status.disruptedPods ?? {}), [name]: nowIso() },
      ...(left === 0
        ? { conditions: [this.condition(status, false, 'InsufficientPods', '', status.observedGeneration)] }
        : {}),
    };
    this.cluster.objects.writeStatus(pdbType, pdb, next);
    remove();
  }

  private expected(spec: PdbSpec, pods: KubeObject[]): { expectedPods: number; desiredHealthy: number } {
    if (spec.maxUnavailable !== undefined) {
      const expectedPods = this.expectedScale(pods);
      const desiredHealthy = Math.max(0, expectedPods - scaled(spec.maxUnavailable, expectedPods));
      return { expectedPods, desiredHealthy };
    }
    if (spec.minAvailable !== undefined) {
      if (typeof spec.minAvailable === 'number')
        return { expectedPods: pods.length, desiredHealthy: spec.minAvailable };
      const expectedPods = this.expectedScale(pods);
      return { expectedPods, desiredHealthy: scaled(spec.minAvailable, expectedPods) };
    }
    return { expectedPods: 0, desiredHealthy: 0 };
  }

  /** Sum of the scale of the controllers of the selected pods (Deployment via ReplicaSet, StatefulSet…). */
  private expectedScale(pods: KubeObject[]): number {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
      if (!ref) continue; // unmanaged pods do not count
      if (scales.has(ref.uid)) continue;
      const found = this.controllerScale(pod.metadata.namespace ?? '', ref.kind, ref.name);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.scale);
    }
    return [...scales.values()].reduce((a, b) => a + b, 0);
  }

  private controllerScale(
    ns: string,
    kind: string,
    name: string,
  ): { uid: string; scale: number } | undefined {
    const get = (group: string, plural: string, n: string): KubeObject | undefined =>
      this.cluster.objects.find(this.cluster.type(group, plural), ns, n);
    const replicas = (o: KubeObject): number => (o['spec'] as { replicas?: number }).replicas ?? 1;
    if (kind === 'ReplicaSet') {
      const rs = get('apps', 'replicasets', name);
      if (!rs) return undefined;
      const dref = rs.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
      const d = dref ? get('apps', 'deployments', dref.name) : undefined;
      if (d) return { uid: d.metadata.uid ?? '', scale: replicas(d) };
      return { uid: rs.metadata.uid ?? '', scale: replicas(rs) };
    }
    if (kind === 'StatefulSet') {
      const s = get('apps', 'statefulsets', name);
      return s ? { uid: s.metadata.uid ?? '', scale: replicas(s) } : undefined;
    }
    if (kind === 'ReplicationController') {
      const rc = get('', 'replicationcontrollers', name);
      return rc ? { uid: rc.metadata.uid ?? '', scale: replicas(rc) } : undefined;
    }
    // DaemonSets, Jobs… have no scale subresource: the budget cannot be computed.
    return undefined;
  }

  private condition(
    prev: Partial<PdbStatus>,
    allowed: boolean,
    reason: string,
    message: string,
    observedGeneration?: number,
  ): Record<string, unknown> {
    const old = prev.conditions?.find((c) => c['type'] === 'DisruptionAllowed');
    const status = allowed ? 'True' : 'False';
    return {
      type: 'DisruptionAllowed',
      status,
      ...(observedGeneration !== undefined ? { observedGeneration } : {}),
      lastTransitionTime:
        old && old['status'] === status && typeof old['lastTransitionTime'] === 'string'
          ? old['lastTransitionTime']
          : nowIso(),
      reason,
      message,
    };
  }

  private write(pdb: KubeObject, status: PdbStatus): void {
    this.cluster.objects.writeStatus(this.cluster.type('policy', 'poddisruptionbudgets'), pdb, status);
  }
}

function deniedMessage(pdb: KubeObject): string {
  const status = (pdb['status'] ?? {}) as Partial<PdbStatus>;
  const name = pdb.metadata.name ?? '';
  const cond = status.conditions?.find((c) => c['type'] === 'DisruptionAllowed');
  const msg = typeof cond?.['message'] === 'string' ? cond['message'] : '';
  if (cond?.['status'] === 'False' && msg && cond['reason'] === 'SyncFailed')
    return `The disruption budget ${name} does not allow evicting pods currently because it failed sync: ${msg}`;
  if ((status.currentHealthy ?? 0) <= (status.desiredHealthy ?? 0))
    return `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`;
  if (cond?.['status'] === 'False' && msg)
    return `The disruption budget ${name} does not allow evicting pods currently (${String(cond['reason'])}): ${msg}`;
  return `The disruption budget ${name} does not allow evicting pods currently`;
}

function tooManyRequests(cause: string, retryAfterSeconds: number): KubeError {
  return new KubeError(
    'TooManyRequests',
    "Cannot evict pod as it would violate the pod's disruption budget.",
    {
      causes: [{ reason: 'DisruptionBudget', message: cause }],
      ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
    },
  );
}
