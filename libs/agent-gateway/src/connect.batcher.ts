import { Injectable, Logger } from '@nestjs/common';
import { KeyedBatcher } from '@meshfleet/core';
import { LivenessRepository } from './liveness.repository';

const MAX_BATCH = 500;

interface Transition {
  organizationId: string;
  clusterId: string;
  agentVersion: string;
  at: Date;
}

/**
 * Absent -> CONNECTED transitions, coalesced: normally rare, but after a Redis loss (or an API
 * restart behind a cold cache) every agent's next heartbeat is one, thousands a second. One batch
 * is in flight at a time and the next one gathers meanwhile; a failed batch is retried row by row
 * so that one bad row fails only its own request. A repeat of a cluster goes in a later batch and
 * finds it CONNECTED already.
 */
@Injectable()
export class ConnectBatcher {
  private readonly log = new Logger(ConnectBatcher.name);
  private readonly batcher: KeyedBatcher<Transition>;

  constructor(private readonly liveness: LivenessRepository) {
    this.batcher = new KeyedBatcher<Transition>({
      key: (t) => t.clusterId,
      maxBatch: MAX_BATCH,
      concurrency: 1,
      run: (batch) => this.liveness.markConnectedMany(batch),
      runOne: (t) => this.liveness.markConnected(t.organizationId, t.clusterId, t.agentVersion, t.at),
      onBatchError: (e, size) =>
        this.log.warn(
          `batch of ${size} transitions failed (${e instanceof Error ? e.message : 'unknown error'}); one by one`,
        ),
    });
  }

  /** True when the cluster was not CONNECTED before (a cluster.online event was recorded). */
  markConnected(organizationId: string, clusterId: string, agentVersion: string, at: Date): Promise<boolean> {
    return this.batcher.submit({ organizationId, clusterId, agentVersion, at });
  }
}
