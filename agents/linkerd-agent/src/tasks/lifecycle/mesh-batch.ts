// Mesh adoption's batches: restart with disruption headroom, wait until Ready (and meshed), say why
// not, and undo a failed batch.
import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { MeshNamespacesParams } from '@meshfleet/agent-protocol';
import { ANNOTATION_INJECT, isFinished, isMeshed, proxyStatus, workloadOf } from '@meshfleet/linkerd';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import {
  RESTARTED_AT,
  RESTARTED_BY,
  refOf,
  rolloutPending,
  type Workload,
  type WorkloadKey,
} from './data-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import {
  ANNOTATION_OPAQUE_PORTS,
  INJECT_BEFORE,
  label,
  parseBefore,
  templateAnnotations,
  writeAnnotations,
  type Planned,
} from './mesh-annotations';
import { batchSkips, injectionSkipped, readInjectorSkips } from './mesh-skip-reasons';
import { postcheck } from './postcheck';
import { runStep } from './step';
import { waitFor } from './wait-for';

/** A bounded copy of the context: waits give up at `deadline` (or the task's, if sooner). */
function within(ctx: LifecycleContext, deadline: Date): LifecycleContext {
  return {
    taskId: ctx.taskId,
    deadline: new Date(Math.min(deadline.getTime(), ctx.deadline.getTime())),
    signal: ctx.signal,
    kube: ctx.kube,
    fetchBundles: (r) => ctx.fetchBundles(r),
    fetchExtension: (r) => ctx.fetchExtension(r),
    signIssuerCsr: (id, csr) => ctx.signIssuerCsr(id, csr),
    event: (step, status, message) => ctx.event(step, status, message),
  };
}

/** PodDisruptionBudgets selecting the workload's pods with no disruption left. */
async function exhaustedBudgets(ctx: LifecycleContext, w: WorkloadKey): Promise<string[]> {
  const obj = await ctx.kube.get<Workload>(refOf(w));
  const labels = obj?.spec?.template?.metadata?.labels ?? {};
  const pdbs = await ctx.kube.list<V1PodDisruptionBudget>('policy/v1', 'PodDisruptionBudget', w.namespace);
  return pdbs
    .filter((pdb) => {
      const sel = pdb.spec?.selector;
      if (!sel) return false;
      const m = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
      const e = (sel.matchExpressions ?? []).every((x) => {
        const has = Object.prototype.hasOwnProperty.call(labels, x.key);
        if (x.operator === 'In') return has && (x.values ?? []).includes(labels[x.key]!);
        if (x.operator === 'NotIn') return !has || !(x.values ?? []).includes(labels[x.key]!);
        if (x.operator === 'Exists') return has;
        return !has;
      });
      // No status yet: the disruption controller has not looked at it; nothing to wait for.
      return m && e && pdb.status !== undefined && pdb.status.disruptionsAllowed === 0;
    })
    .map((pdb) => pdb.metadata?.name ?? '');
}

/** A batch stopped before a restart because a disruption budget gave no headroom in time. */
class BudgetExhausted extends TaskFailure {
  constructor(message: string) {
    super('MESH_BATCH_FAILED', message);
  }
}

type Want = 'meshed' | 'unmeshed' | 'ready';

/** Why a workload's pods are not where the batch wants them, or null. */
async function podsPending(ctx: LifecycleContext, w: WorkloadKey, want: Want): Promise<string | null> {
  const rolled = rolloutPending(w.kind, await ctx.kube.get<Workload>(refOf(w)));
  const pods = (await ctx.kube.list<V1Pod>('v1', 'Pod', w.namespace)).filter((pod) => {
    if (isFinished(pod) || pod.metadata?.deletionTimestamp) return false;
    const o = workloadOf(pod);
    return o.kind === w.kind && o.name === w.name;
  });
  const ready = (pod: V1Pod) =>
    (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const notReady = pods.filter((pod) => !ready(pod));
  const problems: string[] = rolled ? [`rollout: ${rolled}`] : [];
  if (want === 'meshed') {
    const bare = pods.filter((pod) => !isMeshed(pod));
    if (bare.length) problems.push(`${bare.length}/${pods.length} pods started without a linkerd-proxy`);
    const noIdentity = pods.filter((pod) => isMeshed(pod) && !proxyStatus(pod)?.ready);
    if (noIdentity.length) problems.push(`${noIdentity.length} proxies not Ready (no identity yet)`);
  }
  if (want === 'unmeshed') {
    const still = pods.filter(isMeshed);
    if (still.length) problems.push(`${still.length}/${pods.length} pods still have a linkerd-proxy`);
  }
  if (notReady.length) problems.push(`${notReady.length}/${pods.length} pods not Ready`);
  return problems.length ? problems.join(', ') : null;
}

async function restartAndWait(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  batch: readonly Planned[],
  want: Want,
  step: 'batch' | 'rollback',
  restarted = new Set<string>(),
): Promise<void> {
  const bounded = within(ctx, new Date(Date.now() + p.batchTimeoutSeconds * 1000));
  const restartedAt = new Date().toISOString();
  for (const w of batch) {
    const budgets = await exhaustedBudgets(ctx, w);
    if (budgets.length) {
      await ctx.event(
        step,
        'progress',
        `${label(w)}: PodDisruptionBudget ${budgets.join(', ')} allows no disruption now; waiting for headroom`,
      );
      try {
        await waitFor(
          bounded,
          {
            step,
            what: `disruption headroom for ${label(w)}`,
            timeoutCode: 'MESH_BATCH_FAILED',
          },
          async () => {
            const left = await exhaustedBudgets(ctx, w);
            return left.length ? `PodDisruptionBudget ${left.join(', ')} has disruptionsAllowed 0` : null;
          },
        );
      } catch (e) {
        if (!(e instanceof TaskFailure) || e.code !== 'MESH_BATCH_FAILED') throw e;
        throw new BudgetExhausted(
          `${label(w)}: PodDisruptionBudget ${budgets.join(', ')} allowed no disruption within ` +
            `${p.batchTimeoutSeconds}s, so it was not restarted`,
        );
      }
    }
    // The workload's own strategy (maxUnavailable / partitions) paces the roll from here.
    await writeAnnotations(ctx, w, w.template, w.metadata, {
      [RESTARTED_AT]: restartedAt,
      [RESTARTED_BY]: p.operationId,
    });
    restarted.add(label(w));
  }
  await waitFor(
    bounded,
    {
      step,
      what: `${batch.map(label).join(', ')} to be Ready${want === 'meshed' ? ' and meshed' : ''}`,
      timeoutCode: 'MESH_BATCH_FAILED',
    },
    async () => {
      const pending: string[] = [];
      for (const w of batch) {
        const why = await podsPending(ctx, w, want);
        if (why) pending.push(`${label(w)}: ${why}`);
      }
      return pending.length ? pending.join('; ') : null;
    },
  );
}

export async function runBatch(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  batch: readonly Planned[],
  want: 'meshed' | 'unmeshed',
  restarted: Set<string>,
): Promise<void> {
  const since = new Date();
  // The injector counts skips by namespace and owner kind only: a reading before the restart and
  // one after the failure give the batch's own.
  const skipsBefore = want === 'meshed' ? await readInjectorSkips(ctx, p.controlPlaneNamespace) : null;
  try {
    await restartAndWait(ctx, p, batch, want, 'batch', restarted);
  } catch (e) {
    if (!(e instanceof TaskFailure) || e.code !== 'MESH_BATCH_FAILED') throw e;
    if (e instanceof BudgetExhausted) throw e;
    // Say which workloads and why, with the injector's own reasons where it skipped them.
    const reasons: string[] = [];
    for (const w of batch) {
      const why = await podsPending(ctx, w, want).catch((x) => errorMessage(x));
      if (!why) continue;
      const skipped = want === 'meshed' ? await injectionSkipped(ctx, w, since) : [];
      reasons.push(
        `${label(w)}: ${why}${skipped.length ? ` (injection skipped: ${skipped.join('; ')})` : ''}`,
      );
    }
    const counted = await batchSkips(ctx, p, batch, skipsBefore);
    throw lifecycleFailure(
      'MESH_BATCH_FAILED',
      `not ${want === 'meshed' ? 'Ready and meshed' : 'Ready without proxies'} within ${p.batchTimeoutSeconds}s: ${
        reasons.join('; ') || e.message
      }${counted ? `; the injector skipped admissions since the restart: ${counted}` : ''}`,
    );
  }
  // `linkerd check --proxy` before the next batch: a batch that broke the data plane stops here.
  await postcheck(ctx, {
    controlPlaneNamespace: p.controlPlaneNamespace,
    proxy: true,
  });
}

/**
 * Undoes a failed batch as a whole: every workload of it that was restarted, also one that turned
 * Ready (and meshed) before the batch failed — it never passed the batch's `check --proxy`, and a
 * retry meshes the batch again. Returns a sentence for the failure message.
 */
export async function rollbackBatch(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  batch: readonly Planned[],
  mesh: boolean,
  restarted: ReadonlySet<string>,
): Promise<string> {
  const undo: Planned[] = [];
  for (const w of batch) {
    const obj = await ctx.kube.get<Workload>(refOf(w));
    if (!obj) continue;
    const before = parseBefore(obj.metadata?.annotations?.[INJECT_BEFORE]);
    if (!restarted.has(label(w))) {
      // Never restarted (its batch stopped before it): its template is untouched; only a marker
      // the annotate step wrote for a listed workload goes.
      if (p.workloads.length && mesh && before)
        await ctx.kube.mergePatch(refOf(w), {
          metadata: {
            name: w.name,
            namespace: w.namespace,
            annotations: { [INJECT_BEFORE]: null },
          },
        });
      continue;
    }
    const tpl = templateAnnotations(obj);
    if (p.workloads.length) {
      // Back to what the workload had before Meshfleet (MESH), or to meshed (UNMESH).
      undo.push({
        ...w,
        template: mesh
          ? {
              [ANNOTATION_INJECT]: before?.inject ?? null,
              [ANNOTATION_OPAQUE_PORTS]: before?.opaquePorts ?? null,
            }
          : { [ANNOTATION_INJECT]: 'enabled' },
        metadata: mesh
          ? { [INJECT_BEFORE]: null }
          : {
              [INJECT_BEFORE]: JSON.stringify({
                inject: tpl[ANNOTATION_INJECT] ?? null,
                opaquePorts: null,
              }),
            },
      });
    } else {
      // The namespace keeps its annotation (MESH: earlier batches are meshed; UNMESH: already
      // removed), so the batch's own templates carry the undo, recorded like any Meshfleet change.
      undo.push({
        ...w,
        template: { [ANNOTATION_INJECT]: mesh ? 'disabled' : 'enabled' },
        metadata: before
          ? {}
          : {
              [INJECT_BEFORE]: JSON.stringify({
                inject: tpl[ANNOTATION_INJECT] ?? null,
                opaquePorts: null,
              }),
            },
      });
    }
  }
  if (undo.length === 0) {
    const all = batch.map(label).join(', ');
    await ctx.event('rollback', 'skipped', `${all}: not restarted, nothing to undo`);
    return `Nothing to roll back: ${all} not restarted`;
  }
  const names = undo.map(label).join(', ');
  // Say which of them had got there: they are undone with the batch, not left meshed alone.
  const arrived: string[] = [];
  for (const w of undo)
    if ((await podsPending(ctx, w, mesh ? 'meshed' : 'unmeshed').catch(() => 'unknown')) === null)
      arrived.push(label(w));
  const whole = arrived.length
    ? ` (the whole batch: ${arrived.join(', ')} ${arrived.length === 1 ? 'was' : 'were'} Ready and ${mesh ? 'meshed' : 'unmeshed'} but rolled back with it)`
    : '';
  try {
    await runStep(
      ctx,
      'rollback',
      'MESH_BATCH_FAILED',
      async () => {
        await restartAndWait(ctx, p, undo, 'ready', 'rollback');
        return { message: `${names} restored and Ready` };
      },
      `rolling back ${names}`,
    );
    return `Rolled back ${names}: annotations restored, restarted and Ready${whole}`;
  } catch (e) {
    return `Rolled back the annotations of ${names} and restarted them${whole}, but: ${errorMessage(e)}`;
  }
}
