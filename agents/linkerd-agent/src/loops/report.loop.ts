// Health reports: a controller over one key. Informer events and the API's reportRequested mark
// the report dirty; the queue coalesces them (debounce) and the reconcile builds a report from
// the current cache and sends it. A periodic resend keeps the API's copy fresh even when nothing
// changes, and a failed send is retried with backoff.
// Early reports: a change that alters what the health verdict turns on (healthSignature) is
// reported after a short debounce instead of waiting for the spacing of ordinary changes. Early
// reports are spaced too, the spacing doubling while they keep coming (a crash-looping pod
// changes its restart count every few seconds) and falling back once the cluster is quiet.
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
  /** Spacing of the first early report after a quiet period; doubles per early report up to maxSpacingMs. */
  minSpacingMs: number;
  maxSpacingMs: number;
}

/** No early report for this long and the spacing is back at its minimum. */
const EARLY_QUIET_FACTOR = 2;

export class ReportLoop {
  private readonly queue = new WorkQueue<typeof KEY>();
  private readonly backoff = new Backoff();
  private lastSentAt = 0;
  /** The signature of the state the last accepted report was built from. */
  private reportedSignature: string | null = null;
  private earlyTimer: NodeJS.Timeout | null = null;
  private lastEarlyAt = 0;
  private earlyStreak = 0;
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
    const spacing = Math.min(early.maxSpacingMs, early.minSpacingMs * 2 ** this.earlyStreak);
    this.earlyPending = true;
    this.queue.add(KEY, Math.max(0, this.lastEarlyAt + spacing - now));
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
    const report = await this.builder.build(this.sequence.next(), ctx.signal);
    const accepted = await withCredential(ctx, (credential) =>
      ctx.gateway.report(credential, report, ctx.signal),
    ).catch((e: unknown) => {
      if (early) this.earlyPending = true;
      throw e;
    });
    this.lastSentAt = Date.now();
    this.reportedSignature = signature;
    if (early) {
      const quiet =
        this.lastSentAt - this.lastEarlyAt > (this.options.early?.maxSpacingMs ?? 0) * EARLY_QUIET_FACTOR;
      this.earlyStreak = quiet ? 0 : this.earlyStreak + 1;
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
