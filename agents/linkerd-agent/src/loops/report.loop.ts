// Health reports: a controller over one key. Informer events and the API's reportRequested mark
// the report dirty; the queue coalesces them (debounce) and the reconcile builds a report from
// the current cache and sends it. A periodic resend keeps the API's copy fresh even when nothing
// changes, and a failed send is retried with backoff.
import { deriveHealth, protocolHealthStatus } from '@meshfleet/linkerd';
import type { ReportBuilder } from '../report/report-builder';
import { Backoff } from '../util/backoff';
import type { SequenceGenerator } from '../util/sequence';
import { describeError, retryAfterOf, withCredential, type LoopContext } from './loop-context';
import { WorkQueue } from './work-queue';

const KEY = 'report';

export interface ReportLoopOptions {
  /** Delay after a change before reporting, so bursts of events become one report. */
  debounceMs: number;
  /** Change-triggered reports are spaced at least this much (periodic and requested are not). */
  minSpacingMs: number;
}

export class ReportLoop {
  private readonly queue = new WorkQueue<typeof KEY>();
  private readonly backoff = new Backoff();
  private lastSentAt = 0;

  constructor(
    private readonly ctx: LoopContext,
    private readonly builder: Pick<ReportBuilder, 'build'>,
    private readonly sequence: SequenceGenerator,
    private readonly options: ReportLoopOptions,
  ) {}

  /** Something in the cluster changed. */
  markDirty(): void {
    const spacing = this.lastSentAt + this.options.minSpacingMs - Date.now();
    this.queue.add(KEY, Math.max(this.options.debounceMs, spacing));
  }

  /** Send as soon as possible (start-up, the API asked). */
  requestNow(): void {
    this.queue.add(KEY, 0);
  }

  stop(): void {
    this.queue.shutdown();
  }

  async run(): Promise<void> {
    const { ctx } = this;
    this.requestNow();
    for (;;) {
      const key = await this.queue.next(ctx.signal);
      if (key === null) return;
      try {
        await this.reconcile();
        this.backoff.reset();
        this.queue.done(key);
        this.queue.add(KEY, ctx.state.intervals.reportSeconds * 1000);
      } catch (e) {
        this.queue.done(key);
        if (ctx.signal.aborted) return;
        ctx.metrics.reportsFailed.inc();
        const waitMs = this.backoff.fail(retryAfterOf(e));
        ctx.log.warn({ ...describeError(e), retryInMs: waitMs }, 'health report failed');
        this.queue.add(KEY, waitMs);
      }
    }
  }

  private async reconcile(): Promise<void> {
    const { ctx } = this;
    const endBuild = ctx.metrics.reportBuildSeconds.startTimer();
    // Process-wide: exact for the binary, an upper bound where several agents share a process.
    const cpuBefore = process.cpuUsage();
    const report = await this.builder.build(this.sequence.next(), ctx.signal);
    endBuild();
    const cpu = process.cpuUsage(cpuBefore);
    ctx.metrics.reportBuildCpuSeconds.observe((cpu.user + cpu.system) / 1e6);
    const accepted = await withCredential(ctx, (credential) =>
      ctx.gateway.report(credential, report, ctx.signal),
    );
    this.lastSentAt = Date.now();
    ctx.state.reportsSent++;
    ctx.metrics.reportsSent.inc();
    ctx.state.lastReport = {
      sequence: report.sequence,
      generatedAt: report.generatedAt,
      health: protocolHealthStatus(deriveHealth(report).status),
      accepted,
    };
    ctx.state.linkerdInstalled = report.linkerd.installed;
    ctx.log.debug({ sequence: report.sequence, accepted }, 'health report sent');
  }
}
