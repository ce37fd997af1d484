// Health reports: a controller over one key. Informer events and the API's reportRequested mark
// the report dirty; the queue coalesces them (debounce) and the reconcile builds a report from
// the current cache and sends it. A periodic resend keeps the API's copy fresh even when nothing
// changes, and a failed send is retried with backoff.
// Early reports: a change that alters what the health verdict turns on (healthSignature) is
// reported after a short debounce instead of waiting for the spacing of ordinary changes. Early
// reports draw on a small budget (a token bucket: a burst, then one per refill period) and are
// spaced by a minimum, so a crash-looping pod (its restart count changes every few seconds)
// cannot flood the API, while a cluster quiet for a refill period reports its next change at once.
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
  /** Early reports on a change of the health signature; none without it. */
  early?: EarlyReportOptions;
}

export interface EarlyReportOptions {
  /** The current signature of what the verdict turns on (from the informer caches). */
  signature: () => string;
  /** Delay after a change before the signature is compared (bursts become one report). */
  debounceMs: number;
  /** Least time between two early reports. */
  minSpacingMs: number;
  /** Early reports allowed back to back (after minSpacingMs each) before the refill paces them. */
  burst: number;
  /** One early report's worth of budget comes back per this period. */
  refillMs: number;
}

export class ReportLoop {
  private readonly queue = new WorkQueue<typeof KEY>();
  private readonly backoff = new Backoff();
  private lastSentAt = 0;
  /** The signature of the state the last accepted report was built from. */
  private reportedSignature: string | null = null;
  private earlyTimer: NodeJS.Timeout | null = null;
  private lastEarlyAt = 0;
  /** The early-report budget: tokens as of `at`. */
  private earlyBudget: { tokens: number; at: number } | null = null;
  private earlyPending = false;

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
    this.scheduleEarlyCheck();
  }

  private scheduleEarlyCheck(): void {
    const early = this.options.early;
    if (!early || this.earlyTimer || this.ctx.signal.aborted) return;
    this.earlyTimer = setTimeout(() => {
      this.earlyTimer = null;
      this.checkEarly(early);
    }, early.debounceMs);
    this.earlyTimer.unref();
  }

  private checkEarly(early: EarlyReportOptions): void {
    if (this.reportedSignature === null || early.signature() === this.reportedSignature) return;
    const now = Date.now();
    const tokens = this.earlyTokens(early, now);
    const untilToken = tokens >= 1 ? 0 : (1 - tokens) * early.refillMs;
    const untilSpacing = this.lastEarlyAt + early.minSpacingMs - now;
    this.earlyPending = true;
    this.queue.add(KEY, Math.max(0, untilToken, untilSpacing));
  }

  private earlyTokens(early: EarlyReportOptions, now: number): number {
    const b = this.earlyBudget ?? { tokens: early.burst, at: now };
    return Math.min(early.burst, b.tokens + (now - b.at) / early.refillMs);
  }

  /** Send as soon as possible (start-up, the API asked). */
  requestNow(): void {
    this.queue.add(KEY, 0);
  }

  stop(): void {
    if (this.earlyTimer) clearTimeout(this.earlyTimer);
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
    const signature = this.options.early?.signature() ?? null;
    const early = this.earlyPending;
    this.earlyPending = false;
    const endBuild = ctx.metrics.reportBuildSeconds.startTimer();
    // Process-wide: exact for the binary, an upper bound where several agents share a process.
    const cpuBefore = process.cpuUsage();
    // An early report is built from the informer cache alone: it must not wait on proxy scrapes.
    const report = await this.builder.build(this.sequence.next(), ctx.signal, { quick: early });
    endBuild();
    const cpu = process.cpuUsage(cpuBefore);
    ctx.metrics.reportBuildCpuSeconds.observe((cpu.user + cpu.system) / 1e6);
    const accepted = await withCredential(ctx, (credential) =>
      ctx.gateway.report(credential, report, ctx.signal),
    ).catch((e: unknown) => {
      if (early) this.earlyPending = true;
      throw e;
    });
    this.lastSentAt = Date.now();
    this.reportedSignature = signature;
    if (early && this.options.early) {
      const tokens = this.earlyTokens(this.options.early, this.lastSentAt);
      this.earlyBudget = { tokens: Math.max(0, tokens - 1), at: this.lastSentAt };
      this.lastEarlyAt = this.lastSentAt;
      ctx.state.earlyReportsSent++;
      ctx.metrics.earlyReports.inc();
    }
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
