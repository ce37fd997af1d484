// Runs one task: a "started" event, the work, a final event and the result. The result is
// retried until delivered (or the agent stops): a finished task the API never hears about is
// the "lost events" complaint about peer agents. Lifecycle tasks emit their own per-step events.
import type { TaskEnvelope, TaskOutput, TaskResultInput } from '@meshfleet/agent-protocol';
import type { DesiredState } from '../drift/desired-state';
import type { KubeAccess } from '../kube/kube-access';
import { errorMessage } from '../util/errors';
import { describeError, retryAfterOf, withCredential, type LoopContext } from '../loops/loop-context';
import { GatewayError } from '../gateway-client/gateway-error';
import { Backoff } from '../util/backoff';
import { sleep } from '../util/sleep';
import { collectProxyMetrics } from './collect-proxy-metrics.task';
import { TaskFailure } from './task-failure';
import { gatewayLifecycleContext } from './lifecycle/gateway-lifecycle-context';
import { executeLifecycle, isLifecycleTask } from './lifecycle/lifecycle-executor';

export interface TaskRunnerDeps {
  kube: Pick<KubeAccess, 'pod' | 'podProxyGet' | 'ops'>;
  scrapeTimeoutMs: number;
  /** The applied control plane, for drift detection. */
  desired?: DesiredState;
  /**
   * Called once a lifecycle task's result is delivered: the agent reports at once, so the API's
   * view of the cluster (installed, version, health) follows the change without waiting for the
   * spacing of change reports.
   */
  onLifecycleFinished?: () => void;
}

/** The one step of non-lifecycle tasks (lifecycle steps come from the operation itself). */
const STEP = { COLLECT_PROXY_METRICS: 'fetch-metrics' } as const;
const RESULT_ATTEMPTS = 8;

export class TaskRunner {
  constructor(
    private readonly ctx: LoopContext,
    private readonly d: TaskRunnerDeps,
  ) {}

  async run(task: TaskEnvelope): Promise<TaskResultInput> {
    const { ctx } = this;
    const step = isLifecycleTask(task) ? null : STEP[task.kind];
    const log = ctx.log.child({ taskId: task.id, kind: task.kind });
    ctx.state.runningTaskId = task.id;
    log.info('task started');
    try {
      if (step) await this.event(task.id, step, 'started', '');
      let result: TaskResultInput;
      try {
        const output = await this.execute(task);
        if (step) await this.event(task.id, step, 'succeeded', '');
        result = { taskId: task.id, status: 'succeeded', finishedAt: new Date().toISOString(), output };
      } catch (e) {
        const failure = e instanceof TaskFailure ? e : new TaskFailure('AGENT_ERROR', errorMessage(e));
        if (step) await this.event(task.id, step, 'failed', failure.message);
        result = {
          taskId: task.id,
          status: 'failed',
          finishedAt: new Date().toISOString(),
          error: { code: failure.code, message: failure.message.slice(0, 4000) },
        };
      }
      await this.deliver(result);
      if (isLifecycleTask(task)) this.d.onLifecycleFinished?.();
      ctx.state.tasksRun++;
      ctx.metrics.tasksRun.inc({ kind: task.kind, status: result.status });
      log.info({ status: result.status }, 'task finished');
      return result;
    } finally {
      ctx.state.runningTaskId = null;
    }
  }

  private async execute(task: TaskEnvelope): Promise<TaskOutput> {
    if (task.deadlineAt && Date.parse(task.deadlineAt) <= Date.now()) {
      throw new TaskFailure('DEADLINE_EXCEEDED', `the deadline ${task.deadlineAt} has passed`);
    }
    if (isLifecycleTask(task)) {
      return executeLifecycle(gatewayLifecycleContext(this.ctx, this.d.kube.ops, task, this.d.desired), task);
    }
    return collectProxyMetrics(
      task,
      { kube: this.d.kube, timeoutMs: this.d.scrapeTimeoutMs },
      this.ctx.signal,
    );
  }

  /** Progress events are best effort: one attempt, logged on failure. */
  private async event(
    taskId: string,
    step: string,
    status: 'started' | 'succeeded' | 'failed',
    message: string,
  ) {
    try {
      await withCredential(this.ctx, (c) =>
        this.ctx.gateway.taskEvent(
          c,
          { taskId, step, status, message: message.slice(0, 4000), at: new Date().toISOString() },
          this.ctx.signal,
        ),
      );
    } catch (e) {
      this.ctx.log.warn({ taskId, step, ...describeError(e) }, 'task event not delivered');
    }
  }

  private async deliver(result: TaskResultInput): Promise<void> {
    const backoff = new Backoff();
    for (let attempt = 1; attempt <= RESULT_ATTEMPTS && !this.ctx.signal.aborted; attempt++) {
      try {
        await withCredential(this.ctx, (c) => this.ctx.gateway.taskResult(c, result, this.ctx.signal));
        return;
      } catch (e) {
        // 4xx other than auth/429 means the API will never take it (e.g. task cancelled): stop.
        if (e instanceof GatewayError && e.status && e.status < 500 && !e.isAuthFailure && !e.isRateLimited) {
          this.ctx.log.warn({ taskId: result.taskId, ...describeError(e) }, 'task result refused');
          return;
        }
        const waitMs = backoff.fail(retryAfterOf(e));
        this.ctx.log.warn(
          { taskId: result.taskId, ...describeError(e), retryInMs: waitMs },
          'task result retry',
        );
        await sleep(waitMs, this.ctx.signal);
      }
    }
  }
}
