// Level-triggered waits on real cluster conditions, bounded by the task deadline (and an optional
// shorter budget), with a progress event saying what is still missing.
import type { LifecycleStep } from '@meshfleet/agent-protocol';
import { sleep } from '../../util/sleep';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure, type LifecycleFailureCode } from './lifecycle-failure';

export interface WaitOptions {
  step: LifecycleStep;
  /** What we wait for, for messages ("control-plane Deployments available"). */
  what: string;
  timeoutCode: LifecycleFailureCode;
  pollMs?: number;
  /** Progress events at most this often (the step's keepalive covers the lease anyway). */
  reportEveryMs?: number;
}

/** `check` returns null when satisfied, else a sentence about what is still pending. */
export async function waitFor(
  ctx: LifecycleContext,
  o: WaitOptions,
  check: () => Promise<string | null>,
): Promise<void> {
  const pollMs = o.pollMs ?? 250;
  let lastReport = Date.now();
  for (;;) {
    const pending = await check();
    if (pending === null) return;
    if (Date.now() >= ctx.deadline.getTime()) {
      throw lifecycleFailure(
        o.timeoutCode,
        `timed out at ${ctx.deadline.toISOString()} waiting for ${o.what}: ${pending}`,
      );
    }
    if (Date.now() - lastReport >= (o.reportEveryMs ?? 3_000)) {
      lastReport = Date.now();
      await ctx.event(o.step, 'progress', `waiting for ${o.what}: ${pending}`);
    }
    await sleep(pollMs, ctx.signal);
    if (ctx.signal.aborted) throw lifecycleFailure('CANCELLED', `stopped waiting for ${o.what}`);
  }
}
