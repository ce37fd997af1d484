import { Injectable, Logger } from '@nestjs/common';
import { KeyedBatcher } from '@meshfleet/core';
import { INGEST_CONNECTIONS, ReportIngestRepository, ReportToIngest } from './report-ingest.repository';

const MAX_BATCH = 200;

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
  private readonly batcher: KeyedBatcher<ReportToIngest>;

  constructor(private readonly repo: ReportIngestRepository) {
    this.batcher = new KeyedBatcher<ReportToIngest>({
      key: (r) => r.clusterId,
      maxBatch: MAX_BATCH,
      concurrency: INGEST_CONNECTIONS,
      // The retry is the same statement with one row each: only the bad row's request fails.
      run: (batch) => this.repo.ingestMany(batch),
      onBatchError: (e, size) =>
        this.log.warn(
          `batch of ${size} reports failed (${e instanceof Error ? e.message : 'unknown error'}); storing them one by one`,
        ),
    });
  }

  ingest(item: ReportToIngest): Promise<boolean> {
    return this.batcher.submit(item);
  }
}
