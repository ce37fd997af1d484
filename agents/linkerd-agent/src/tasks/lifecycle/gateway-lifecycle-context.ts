// The production LifecycleContext: bundles, issuer signing and events through the agent gateway,
// with the agent's credential handling. Transient failures (network, 5xx, 429) are retried a few
// times; a 4xx is the API's answer and is not.
import type { DesiredState } from '../../drift/desired-state';
import { GatewayError } from '../../gateway-client/gateway-error';
import type { ClusterOps } from '../../kube/cluster-ops';
import { describeError, retryAfterOf, withCredential, type LoopContext } from '../../loops/loop-context';
import { Backoff } from '../../util/backoff';
import { sleep } from '../../util/sleep';
import type { LifecycleContext } from './lifecycle-context';
import type { LifecycleTask } from './lifecycle-executor';

/** Without a deadline from the API, a lifecycle task gives up after this long. */
export const DEFAULT_LIFECYCLE_TIMEOUT_MS = 15 * 60_000;
const ATTEMPTS = 4;

function transient(e: unknown): boolean {
  if (!(e instanceof GatewayError)) return false;
  if (e.kind === 'network') return true;
  return !!e.status && (e.status >= 500 || e.isRateLimited || e.isAuthFailure);
}

async function withRetries<T>(loop: LoopContext, fn: (credential: string) => Promise<T>): Promise<T> {
  const backoff = new Backoff();
  for (let attempt = 1; ; attempt++) {
    try {
      return await withCredential(loop, fn);
    } catch (e) {
      if (attempt >= ATTEMPTS || !transient(e) || loop.signal.aborted) throw e;
      await sleep(backoff.fail(retryAfterOf(e)), loop.signal);
    }
  }
}

export function gatewayLifecycleContext(
  loop: LoopContext,
  kube: ClusterOps,
  task: LifecycleTask,
  desired?: DesiredState,
): LifecycleContext {
  const log = loop.log.child({ taskId: task.id, kind: task.kind });
  return {
    taskId: task.id,
    deadline: new Date(
      task.deadlineAt ? Date.parse(task.deadlineAt) : Date.now() + DEFAULT_LIFECYCLE_TIMEOUT_MS,
    ),
    signal: loop.signal,
    kube,
    ...(desired ? { desired } : {}),
    fetchBundles: (release) => withRetries(loop, (c) => loop.gateway.releaseBundles(c, release, loop.signal)),
    fetchExtension: (ref) => withRetries(loop, (c) => loop.gateway.extensionBundle(c, ref, loop.signal)),
    signIssuerCsr: (taskId, csrPem) =>
      withRetries(loop, (c) => loop.gateway.issuerCsr(c, taskId, csrPem, loop.signal)),
    async event(step, status, message) {
      if (status !== 'progress') log.info({ step, status }, message || `step ${status}`);
      try {
        await withCredential(loop, (c) =>
          loop.gateway.taskEvent(
            c,
            { taskId: task.id, step, status, message: message.slice(0, 4000), at: new Date().toISOString() },
            loop.signal,
          ),
        );
      } catch (e) {
        log.warn({ step, ...describeError(e) }, 'task event not delivered');
      }
    },
  };
}
