import { Injectable, Logger } from '@nestjs/common';
import { INGEST_CONNECTIONS, ReportIngestRepository, ReportToIngest } from './report-ingest.repository';

const MAX_BATCH = 200;

interface Pending {
  item: ReportToIngest;
  resolve(accepted: boolean): void;
  reject(e: unknown): void;
}

/**
 * Coalesces concurrent reports into multi-row statements: at fleet scale each report otherwise
 * costs a round trip and a statement of its own. A report waits at most one event-loop turn when
 * the database keeps up; when it does not, the queue grows and the next batch is bigger. A cluster
 * is never in two batches at once (in-flight batches touch disjoint rows, so they cannot deadlock
 * on each other), and a failed batch is retried row by row so that one bad row fails only its own
 * request.
 */
@Injectable()
export class ReportIngestBatcher {
  private readonly log = new Logger(ReportIngestBatcher.name);
  private queue: Pending[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly repo: ReportIngestRepository) {}

  ingest(item: ReportToIngest): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < INGEST_CONNECTIONS && this.queue.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const ids = new Set<string>();
      for (const p of this.queue) {
        const id = p.item.clusterId;
        if (batch.length < MAX_BATCH && !ids.has(id) && !this.busy.has(id)) {
          ids.add(id);
          batch.push(p);
        } else rest.push(p);
      }
      this.queue = rest;
      if (batch.length === 0) return;
      for (const id of ids) this.busy.add(id);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const id of ids) this.busy.delete(id);
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const accepted = await this.repo.ingestMany(batch.map((p) => p.item));
      for (const p of batch) p.resolve(accepted.has(p.item.clusterId));
    } catch (e) {
      if (batch.length > 1)
        this.log.warn(
          `batch of ${batch.length} reports failed (${e instanceof Error ? e.message : 'unknown error'}); storing them one by one`,
        );
      // The same statement with one row each: only the bad row's request fails.
      await Promise.all(
        batch.map(({ item, resolve, reject }) =>
          this.repo.ingestMany([item]).then((accepted) => resolve(accepted.has(item.clusterId)), reject),
        ),
      );
    }
  }
}
