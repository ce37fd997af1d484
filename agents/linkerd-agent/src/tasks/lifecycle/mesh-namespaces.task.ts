// MESH_NAMESPACES / UNMESH_NAMESPACES: ask for injection (or stop asking), then restart the
// workloads in batches, each batch Ready (and, for MESH, with a proxy that holds its identity)
// before the next. The injector mutates pods only when they are created, so nothing changes for a
// workload until its batch restarts it.
//
// Where the annotation goes:
// - no workloads listed: `linkerd.io/inject: enabled` on each namespace. Changing a namespace
//   restarts nothing, so this is the `annotate` step.
// - workloads listed: `linkerd.io/inject: enabled` (and `config.linkerd.io/opaque-ports`) on each
//   workload's pod template. Changing a template rolls the workload at once, so the template is
//   written in the workload's batch, together with the restart; `annotate` only records the
//   previous values.
// The previous values are kept in the object's own `meshfleet.io/inject-before` annotation (on the
// namespace, or the workload's metadata, which rolls nothing), written once, so a retried task and
// a later UNMESH know what was there before Meshfleet.
//
// UNMESH puts back what MESH found (removing the annotations when there were none). A listed
// workload whose namespace still asks for injection gets `linkerd.io/inject: disabled` instead.
// In namespace mode, workloads whose own template asks for injection stay meshed (they asked).
//
// A failed batch (not Ready or not meshed within batchTimeoutSeconds) stops the task. With
// rollbackOnFailure that batch is undone: a listed workload gets its previous annotations back; in
// namespace mode the namespace keeps asking (the earlier batches are meshed and must stay so when
// their pods are rescheduled), so the failed workloads are opted out with `disabled` (recorded in
// their marker, so a later MESH or UNMESH clears it). Then they are restarted and waited for
// (Ready, no proxy requirement). Earlier batches stay meshed.
//
// Identity: the proxy's readiness probe passes only once it holds a certificate from the identity
// service (real Linkerd and the simulator alike), so a Ready linkerd-proxy container is the proof
// that the proxy reports identity.
import type { CoreV1Event, V1Namespace, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { MeshNamespacesParams, TaskEnvelope } from '@meshfleet/agent-protocol';
import {
  ANNOTATION_INJECT,
  isDataPlanePodOf,
  isFinished,
  isMeshed,
  proxyStatus,
  workloadOf,
} from '@meshfleet/linkerd';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import {
  RESTARTABLE,
  RESTARTED_AT,
  RESTARTED_BY,
  refOf,
  rolloutPending,
  type RestartableKind,
  type Workload,
  type WorkloadKey,
} from './data-plane';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck, type PostcheckSummary } from './postcheck';
import { runStep } from './step';
import { waitFor } from './wait-for';

type MeshTask = Extract<TaskEnvelope, { kind: 'MESH_NAMESPACES' | 'UNMESH_NAMESPACES' }>;

export const ANNOTATION_OPAQUE_PORTS = 'config.linkerd.io/opaque-ports';
/** What `linkerd.io/inject` / opaque-ports were before Meshfleet changed them (JSON). */
export const INJECT_BEFORE = 'meshfleet.io/inject-before';

/** Never meshed by Meshfleet: Kubernetes' own namespaces (the injector skips kube-system too). */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
const KIND_ORDER: RestartableKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
const INJECTOR = 'linkerd-proxy-injector';
const INJECTOR_WEBHOOK = 'linkerd-proxy-injector-webhook-config';

interface Before {
  inject: string | null;
  opaquePorts: string | null;
}

/** A workload to restart, with the template annotations its batch writes (null removes). */
interface Planned extends WorkloadKey {
  template: Record<string, string | null>;
  /** Metadata annotations written with it (the marker). */
  metadata: Record<string, string | null>;
}

const label = (w: WorkloadKey) => `${w.kind}/${w.namespace}/${w.name}`;

function parseBefore(raw: string | undefined): Before | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Before>;
    return { inject: v.inject ?? null, opaquePorts: v.opaquePorts ?? null };
  } catch {
    return { inject: null, opaquePorts: null };
  }
}

const templateAnnotations = (o: Workload): Record<string, string> =>
  o.spec?.template?.metadata?.annotations ?? {};

/** A bounded copy of the context: waits give up at `deadline` (or the task's, if sooner). */
function within(ctx: LifecycleContext, deadline: Date): LifecycleContext {
  return {
    taskId: ctx.taskId,
    deadline: new Date(Math.min(deadline.getTime(), ctx.deadline.getTime())),
    signal: ctx.signal,
    kube: ctx.kube,
    fetchBundles: (r) => ctx.fetchBundles(r),
    signIssuerCsr: (id, csr) => ctx.signIssuerCsr(id, csr),
    event: (step, status, message) => ctx.event(step, status, message),
  };
}

export async function meshNamespacesTask(ctx: LifecycleContext, task: MeshTask): Promise<LifecycleOutput> {
  const p = task.params;
  const mesh = task.kind === 'MESH_NAMESPACES';
  const cp = p.controlPlaneNamespace;
  const namespaces = [...new Set(p.namespaces)].sort();

  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    if (!(await installedControlPlane(ctx.kube, cp)).present) {
      throw lifecycleFailure('NOT_INSTALLED', `no Linkerd control plane (linkerd-config) in namespace ${cp}`);
    }
    const problems = await precheckProblems(ctx, p, mesh);
    if (problems.length) throw lifecycleFailure('PRECHECK_FAILED', problems.join('; '));
    return { message: `${namespaces.length} namespaces, ${p.workloads.length || 'all'} workloads` };
  });

  let planned: Planned[] = [];
  await runStep(ctx, 'annotate', 'APPLY_FAILED', async () => {
    const r = await annotate(ctx, p, mesh);
    planned = r.planned;
    return { message: r.message };
  });

  const batches: Planned[][] = [];
  for (let i = 0; i < planned.length; i += p.batchSize) batches.push(planned.slice(i, i + p.batchSize));
  for (const [i, batch] of batches.entries()) {
    const restarted = new Set<string>();
    const name = `batch ${i + 1}/${batches.length}: ${batch.map((w) => `${w.kind}/${w.name}`).join(', ')}`;
    try {
      await runStep(
        ctx,
        'batch',
        // Only a batch that did not become Ready is rolled back (MESH_BATCH_FAILED, thrown by
        // runBatch); an API error mid-batch is transient: a new attempt skips what is meshed.
        'APPLY_FAILED',
        async () => {
          await runBatch(ctx, p, batch, mesh ? 'meshed' : 'unmeshed', restarted);
          return { message: `${name} ${mesh ? 'Ready and meshed' : 'Ready without proxies'}` };
        },
        name,
      );
    } catch (e) {
      if (!(e instanceof TaskFailure) || e.code !== 'MESH_BATCH_FAILED' || !p.rollbackOnFailure) throw e;
      const rolled = await rollbackBatch(ctx, p, batch, mesh, restarted);
      const done = i > 0 ? ` ${i} earlier batches stay ${mesh ? 'meshed' : 'unmeshed'}.` : '';
      throw lifecycleFailure('MESH_BATCH_FAILED', `${e.message}. ${rolled}.${done}`);
    }
  }
  if (batches.length === 0) {
    await ctx.event('batch', 'skipped', `no workloads to ${mesh ? 'mesh' : 'unmesh'}`);
    await ctx.event('rollback', 'skipped', 'nothing failed');
  } else {
    await ctx.event('rollback', 'skipped', 'every batch succeeded');
  }

  let summary: PostcheckSummary | undefined;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: cp, proxy: true });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, cp, summary!);
}

async function precheckProblems(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  mesh: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  const cp = p.controlPlaneNamespace;
  if (mesh) {
    const injector = await ctx.kube.get<Workload>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: cp,
      name: INJECTOR,
    });
    const webhook = await ctx.kube.get({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      name: INJECTOR_WEBHOOK,
    });
    const available =
      (injector?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    // With the injector down and failurePolicy Ignore, restarted pods would start unmeshed
    // silently; with Fail they would not start at all. Either way: not now.
    if (!injector || available < 1) problems.push(`the proxy injector (${cp}/${INJECTOR}) is not available`);
    if (!webhook) problems.push(`the proxy injector webhook ${INJECTOR_WEBHOOK} is missing`);
  }
  const listed = new Set(p.namespaces);
  for (const ns of [...listed].sort()) {
    const why = refusedNamespace(ns, cp);
    if (why) {
      problems.push(`namespace ${ns} is refused: ${why}`);
      continue;
    }
    const obj = await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    if (!obj) problems.push(`namespace ${ns} does not exist`);
    else if (obj.metadata?.deletionTimestamp) problems.push(`namespace ${ns} is terminating`);
    else {
      const labels = obj.metadata?.labels ?? {};
      if (labels['linkerd.io/is-control-plane'] === 'true' || labels['linkerd.io/extension'])
        problems.push(`namespace ${ns} is refused: it belongs to Linkerd's control plane or an extension`);
    }
  }
  for (const w of p.workloads) {
    if (!listed.has(w.namespace)) {
      problems.push(`${w.kind}/${w.namespace}/${w.name}: its namespace is not among the task's namespaces`);
      continue;
    }
    if (refusedNamespace(w.namespace, cp)) continue;
    const o = await ctx.kube.get<Workload>(refOf({ kind: w.kind, namespace: w.namespace, name: w.name }));
    if (!o) problems.push(`${w.kind}/${w.namespace}/${w.name} does not exist`);
  }
  return problems;
}

function refusedNamespace(ns: string, cp: string): string | null {
  if (ns === cp) return "it is Linkerd's control-plane namespace";
  if (SYSTEM_NAMESPACES.has(ns)) return "it is one of Kubernetes' system namespaces";
  return null;
}

interface PodsByWorkload {
  get(w: WorkloadKey): V1Pod[];
}

async function livePods(ctx: LifecycleContext, namespaces: readonly string[]): Promise<PodsByWorkload> {
  const map = new Map<string, V1Pod[]>();
  for (const ns of namespaces) {
    for (const pod of await ctx.kube.list<V1Pod>('v1', 'Pod', ns)) {
      if (isFinished(pod) || pod.metadata?.deletionTimestamp) continue;
      const w = workloadOf(pod);
      const key = `${w.kind}/${ns}/${w.name}`;
      map.set(key, [...(map.get(key) ?? []), pod]);
    }
  }
  return { get: (w) => map.get(label(w)) ?? [] };
}

/** Writes what the annotate step writes and plans the batches. */
async function annotate(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  mesh: boolean,
): Promise<{ planned: Planned[]; message: string }> {
  const cp = p.controlPlaneNamespace;
  const namespaces = [...new Set(p.namespaces)].sort();
  const nsObjects = new Map<string, V1Namespace>();
  for (const ns of namespaces) {
    nsObjects.set(ns, (await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns }))!);
  }
  const notes: string[] = [];
  const nsAsks = new Map<string, boolean>();

  if (p.workloads.length === 0) {
    for (const ns of namespaces) {
      const a = nsObjects.get(ns)!.metadata?.annotations ?? {};
      const before = parseBefore(a[INJECT_BEFORE]);
      let patch: Record<string, string | null>;
      if (mesh) {
        patch = { [ANNOTATION_INJECT]: 'enabled' };
        if (!before)
          patch[INJECT_BEFORE] = JSON.stringify({ inject: a[ANNOTATION_INJECT] ?? null, opaquePorts: null });
      } else {
        // Back to what MESH found; an `enabled` found there goes too (UNMESH is asked to leave
        // the namespace unmeshed, whoever had enabled it).
        const restore = before?.inject === 'enabled' ? null : (before?.inject ?? null);
        patch = { [ANNOTATION_INJECT]: restore, [INJECT_BEFORE]: null };
      }
      await ctx.kube.mergePatch(
        { apiVersion: 'v1', kind: 'Namespace', name: ns },
        { metadata: { name: ns, annotations: patch } },
      );
      nsAsks.set(ns, patch[ANNOTATION_INJECT] === 'enabled');
    }
    notes.push(
      `${mesh ? 'set' : 'removed'} ${ANNOTATION_INJECT}${mesh ? ': enabled' : ''} on ${namespaces.join(', ')}`,
    );
  } else {
    for (const ns of namespaces)
      nsAsks.set(ns, nsObjects.get(ns)!.metadata?.annotations?.[ANNOTATION_INJECT] === 'enabled');
  }

  const pods = await livePods(ctx, namespaces);
  const planned: Planned[] = [];
  const candidates: Array<{ key: WorkloadKey; obj: Workload; opaquePorts?: number[] }> = [];
  if (p.workloads.length) {
    for (const w of p.workloads) {
      const key = { kind: w.kind, namespace: w.namespace, name: w.name };
      const obj = await ctx.kube.get<Workload>(refOf(key));
      if (obj) candidates.push({ key, obj, opaquePorts: w.opaquePorts });
    }
  } else {
    for (const ns of namespaces)
      for (const kind of KIND_ORDER)
        for (const obj of await ctx.kube.list<Workload>(RESTARTABLE[kind], kind, ns))
          candidates.push({ key: { kind, namespace: ns, name: obj.metadata?.name ?? '' }, obj });
  }
  candidates.sort(
    (a, b) =>
      a.key.namespace.localeCompare(b.key.namespace) ||
      KIND_ORDER.indexOf(a.key.kind) - KIND_ORDER.indexOf(b.key.kind) ||
      a.key.name.localeCompare(b.key.name),
  );

  let recorded = 0;
  for (const { key, obj, opaquePorts } of candidates) {
    const tpl = templateAnnotations(obj);
    const meta = obj.metadata?.annotations ?? {};
    const before = parseBefore(meta[INJECT_BEFORE]);
    const own = tpl[ANNOTATION_INJECT];
    const current = pods.get(key);
    const meshedNow = current.filter((pod) => isDataPlanePodOf(pod, cp) || isMeshed(pod));
    const template: Record<string, string | null> = {};
    const metadata: Record<string, string | null> = {};
    if (p.workloads.length) {
      const opaque = opaquePorts?.length ? [...opaquePorts].sort((x, y) => x - y).join(',') : undefined;
      if (mesh) {
        if (!before) {
          metadata[INJECT_BEFORE] = JSON.stringify({
            inject: own ?? null,
            opaquePorts: tpl[ANNOTATION_OPAQUE_PORTS] ?? null,
          });
          // Recorded now, before any batch runs: a retry after a crash must still see the original.
          await ctx.kube.mergePatch(refOf(key), {
            metadata: { name: key.name, namespace: key.namespace, annotations: metadata },
          });
          recorded++;
        }
        template[ANNOTATION_INJECT] = 'enabled';
        if (opaque) template[ANNOTATION_OPAQUE_PORTS] = opaque;
        const upToDate =
          own === 'enabled' && (!opaque || tpl[ANNOTATION_OPAQUE_PORTS] === opaque) && current.length > 0;
        if (upToDate && meshedNow.length === current.length) {
          notes.push(`${key.kind}/${key.name} already meshed`);
          continue;
        }
      } else {
        template[ANNOTATION_INJECT] = before ? before.inject : own === 'enabled' ? null : (own ?? null);
        template[ANNOTATION_OPAQUE_PORTS] = before
          ? before.opaquePorts
          : (tpl[ANNOTATION_OPAQUE_PORTS] ?? null);
        if (template[ANNOTATION_INJECT] !== 'disabled' && nsAsks.get(key.namespace))
          template[ANNOTATION_INJECT] = 'disabled';
        metadata[INJECT_BEFORE] = null;
        // Nothing meshed and nothing to put back: no restart. (Writing a template rolls it, so a
        // template that still changes goes through a batch like the others.)
        if (meshedNow.length === 0 && !before && (own ?? null) === template[ANNOTATION_INJECT]) {
          notes.push(`${key.kind}/${key.name} has no meshed pods`);
          continue;
        }
      }
    } else if (mesh) {
      // A `disabled` Meshfleet set (a rolled-back batch) is lifted; the workload's own is respected.
      if (before) {
        template[ANNOTATION_INJECT] = before.inject;
        metadata[INJECT_BEFORE] = null;
      } else if (own === 'disabled') {
        notes.push(`${key.kind}/${key.name} opted out (${ANNOTATION_INJECT}: disabled)`);
        continue;
      }
      if (current.length === 0) {
        notes.push(`${key.kind}/${key.name} has no pods (meshed when it scales up)`);
        if (before) await writeAnnotations(ctx, key, template, metadata);
        continue;
      }
      if (!before && meshedNow.length === current.length) {
        notes.push(`${key.kind}/${key.name} already meshed`);
        continue;
      }
    } else {
      if (before) {
        template[ANNOTATION_INJECT] = before.inject;
        metadata[INJECT_BEFORE] = null;
      }
      const asks = (template[ANNOTATION_INJECT] ?? own) === 'enabled';
      if (asks) {
        notes.push(`${key.kind}/${key.name} stays meshed (its own ${ANNOTATION_INJECT}: enabled)`);
        continue;
      }
      if (meshedNow.length === 0 && !before) continue;
    }
    planned.push({ ...key, template, metadata });
  }
  if (recorded) notes.push(`recorded the previous annotations of ${recorded} workloads`);
  notes.push(`${planned.length} workloads to restart in batches of ${p.batchSize}`);
  return { planned, message: notes.join('; ').slice(0, 4000) };
}

async function writeAnnotations(
  ctx: LifecycleContext,
  w: WorkloadKey,
  template: Record<string, string | null>,
  metadata: Record<string, string | null>,
  extra: Record<string, string> = {},
): Promise<void> {
  await ctx.kube.mergePatch(refOf(w), {
    metadata: { name: w.name, namespace: w.namespace, annotations: metadata },
    spec: { template: { metadata: { annotations: { ...template, ...extra } } } },
  });
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

/** The injector's InjectionSkipped events for the workload (recorded on the pods' owner). */
async function injectionSkipped(ctx: LifecycleContext, w: WorkloadKey): Promise<string[]> {
  let events: CoreV1Event[];
  try {
    events = await ctx.kube.list<CoreV1Event>(
      'v1',
      'Event',
      w.namespace,
      undefined,
      'reason=InjectionSkipped',
    );
  } catch {
    // Events only add detail to a failure already being reported: never let them replace it.
    return [];
  }
  const owners = (n: string) => n === w.name || (w.kind === 'Deployment' && n.startsWith(`${w.name}-`));
  return [
    ...new Set(
      events
        .filter((e) => owners(e.involvedObject?.name ?? ''))
        .map((e) => (e.message ?? '').replace(/^Linkerd sidecar proxy injection skipped: /, '')),
    ),
  ];
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
          { step, what: `disruption headroom for ${label(w)}`, timeoutCode: 'MESH_BATCH_FAILED' },
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

async function runBatch(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  batch: readonly Planned[],
  want: 'meshed' | 'unmeshed',
  restarted: Set<string>,
): Promise<void> {
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
      const skipped = want === 'meshed' ? await injectionSkipped(ctx, w) : [];
      reasons.push(
        `${label(w)}: ${why}${skipped.length ? ` (injection skipped: ${skipped.join('; ')})` : ''}`,
      );
    }
    throw lifecycleFailure(
      'MESH_BATCH_FAILED',
      `not ${want === 'meshed' ? 'Ready and meshed' : 'Ready without proxies'} within ${p.batchTimeoutSeconds}s: ${
        reasons.join('; ') || e.message
      }`,
    );
  }
  // `linkerd check --proxy` before the next batch: a batch that broke the data plane stops here.
  await postcheck(ctx, { controlPlaneNamespace: p.controlPlaneNamespace, proxy: true });
}

/** Undoes a failed batch; returns a sentence for the failure message. */
async function rollbackBatch(
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
          metadata: { name: w.name, namespace: w.namespace, annotations: { [INJECT_BEFORE]: null } },
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
              [INJECT_BEFORE]: JSON.stringify({ inject: tpl[ANNOTATION_INJECT] ?? null, opaquePorts: null }),
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
              [INJECT_BEFORE]: JSON.stringify({ inject: tpl[ANNOTATION_INJECT] ?? null, opaquePorts: null }),
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
    return `Rolled back ${names}: annotations restored, restarted and Ready`;
  } catch (e) {
    return `Rolled back the annotations of ${names} and restarted them, but: ${errorMessage(e)}`;
  }
}
