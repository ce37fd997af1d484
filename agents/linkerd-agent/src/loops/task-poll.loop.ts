// Task long-poll: one request waits on the API for up to taskPollSeconds and returns as soon as
// a task is dispatched. Tasks run one at a time; polling resumes when the result is delivered.
import type { TaskRunner } from '../tasks/task-runner';
import { Backoff } from '../util/backoff';
import { sleep } from '../util/sleep';
import { describeError, retryAfterOf, withCredential, type LoopContext } from './loop-context';

/** A poll that comes back empty faster than this is treated as suspicious and paced. */
const MIN_EMPTY_POLL_MS = 1000;

export async function taskPollLoop(ctx: LoopContext, runner: Pick<TaskRunner, 'run'>): Promise<void> {
  const backoff = new Backoff();
  while (!ctx.signal.aborted) {
    const started = Date.now();
    try {
      const task = await withCredential(ctx, (credential) =>
        ctx.gateway.nextTask(credential, ctx.state.intervals.taskPollSeconds, ctx.signal),
      );
      backoff.reset();
      if (task) await runner.run(task);
      else if (Date.now() - started < MIN_EMPTY_POLL_MS) await sleep(MIN_EMPTY_POLL_MS, ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) break;
      const waitMs = backoff.fail(retryAfterOf(e));
      ctx.log.warn({ ...describeError(e), retryInMs: waitMs }, 'task poll failed');
      await sleep(waitMs, ctx.signal);
    }
  }
}
