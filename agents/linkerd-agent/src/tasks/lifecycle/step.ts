// One step of a lifecycle task: "started", the work, then "succeeded" / "skipped" / "failed".
// While the work runs a "progress" event goes out every few seconds, because the API treats
// events as the task's lease: a task silent for MESHFLEET_OPERATION_LEASE_SECONDS (120 s by
// default) is taken for lost and attempted again.
import type { LifecycleStep } from '@meshfleet/agent-protocol';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure, type LifecycleFailureCode } from './lifecycle-failure';

export const KEEPALIVE_MS = 4_000;

/** What a step returns: a message for its final event, and whether it had nothing to do. */
export interface StepOutcome {
  message?: string;
  skipped?: boolean;
}

export async function runStep(
  ctx: LifecycleContext,
  step: LifecycleStep,
  failureCode: LifecycleFailureCode,
  work: () => Promise<StepOutcome | void>,
  /** For steps that repeat (mesh adoption's batches): says which one started. */
  startMessage = '',
): Promise<void> {
  await ctx.event(step, 'started', startMessage);
  // The last keepalive may still be on its way when the work ends: the final event waits for it,
  // or the API could record "progress" after "succeeded".
  let beat: Promise<void> = Promise.resolve();
  const keepalive = setInterval(() => {
    beat = ctx.event(step, 'progress', 'working').catch(() => undefined);
  }, KEEPALIVE_MS);
  const stopBeats = async () => {
    clearInterval(keepalive);
    await beat;
  };
  try {
    const outcome = (await work()) ?? {};
    await stopBeats();
    await ctx.event(step, outcome.skipped ? 'skipped' : 'succeeded', outcome.message ?? '');
  } catch (e) {
    const failure =
      e instanceof TaskFailure
        ? e
        : ctx.signal.aborted
          ? lifecycleFailure('CANCELLED', `${step}: the agent is stopping`)
          : lifecycleFailure(failureCode, `${step}: ${errorMessage(e)}`);
    await stopBeats();
    await ctx.event(step, 'failed', failure.message);
    throw failure;
  } finally {
    clearInterval(keepalive);
  }
}

/** Reports a step that does not apply to this task (keeps the API's step list complete). */
export async function skipStep(ctx: LifecycleContext, step: LifecycleStep, message: string): Promise<void> {
  await ctx.event(step, 'skipped', message);
}
