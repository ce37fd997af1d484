// Heartbeat: a tiny liveness message every heartbeatIntervalSeconds. The API derives
// CONNECTED/OFFLINE from these, so after any failure the loop retries sooner than the interval
// (with jittered backoff) — a brief outage must not cost three intervals and an OFFLINE flap.
import type { HeartbeatInput } from '@meshfleet/agent-protocol';
import { Backoff } from '../util/backoff';
import { sleep } from '../util/sleep';
import { describeError, retryAfterOf, withCredential, type LoopContext } from './loop-context';

export interface HeartbeatDeps {
  agentVersion: string;
  startedAt: number;
  status: () => NonNullable<HeartbeatInput['status']>;
  /** The API asked for a full report now. */
  requestReport: () => void;
}

export async function heartbeatLoop(ctx: LoopContext, d: HeartbeatDeps): Promise<void> {
  const backoff = new Backoff();
  let sequence = 0;
  while (!ctx.signal.aborted) {
    const intervalMs = ctx.state.intervals.heartbeatSeconds * 1000;
    let waitMs: number;
    try {
      const res = await withCredential(ctx, (credential) =>
        ctx.gateway.heartbeat(
          credential,
          {
            agentVersion: d.agentVersion,
            sequence: ++sequence,
            uptimeSeconds: (Date.now() - d.startedAt) / 1000,
            status: d.status(),
          },
          ctx.signal,
        ),
      );
      ctx.state.intervals.heartbeatSeconds = res.heartbeatIntervalSeconds;
      ctx.state.intervals.reportSeconds = res.reportIntervalSeconds;
      ctx.state.heartbeatsSent++;
      ctx.metrics.heartbeatsSent.inc();
      backoff.reset();
      if (res.reportRequested) d.requestReport();
      waitMs = res.heartbeatIntervalSeconds * 1000;
    } catch (e) {
      if (ctx.signal.aborted) break;
      ctx.state.heartbeatsFailed++;
      ctx.metrics.heartbeatsFailed.inc();
      const retryAfter = retryAfterOf(e);
      waitMs = Math.max(Math.min(backoff.fail(), intervalMs), retryAfter ?? 0);
      ctx.log.warn({ ...describeError(e), retryInMs: waitMs }, 'heartbeat failed');
    }
    await sleep(waitMs, ctx.signal);
  }
}
