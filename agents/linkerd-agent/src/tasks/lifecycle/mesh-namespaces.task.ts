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
// rollbackOnFailure the WHOLE batch is undone, also its workloads that turned Ready and meshed:
// the batch is the unit that is verified (`linkerd check --proxy` runs after it), so none of them
// passed, and the cluster ends as "earlier batches meshed, the failed batch as it was". A listed
// workload gets its previous annotations back; in namespace mode the namespace keeps asking (the
// earlier batches are meshed and must stay so when their pods are rescheduled), so the batch's
// workloads are opted out with `disabled` (recorded in their marker, so a later MESH or UNMESH
// clears it). Then they are restarted and waited for (Ready, no proxy requirement).
//
// Identity: the proxy's readiness probe passes only once it holds a certificate from the identity
// service (real Linkerd and the simulator alike), so a Ready linkerd-proxy container is the proof
// that the proxy reports identity.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { TaskFailure } from '../task-failure';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import type { Planned } from './mesh-annotations';
import { rollbackBatch, runBatch } from './mesh-batch';
import { annotate } from './mesh-plan';
import { precheckProblems } from './mesh-precheck';
import { postcheck, type PostcheckSummary } from './postcheck';
import { runStep } from './step';

type MeshTask = Extract<TaskEnvelope, { kind: 'MESH_NAMESPACES' | 'UNMESH_NAMESPACES' }>;

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
