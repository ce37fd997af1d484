import { Injectable, Logger } from '@nestjs/common';
import { LivenessRepository } from './liveness.repository';

const MAX_BATCH = 500;

interface Pending {
  organizationId: string;
  clusterId: string;
  agentVersion: string;
  at: Date;
  resolve(transitioned: boolean): void;
  reject(e: unknown): void;
}

/**
 * Absent -> CONNECTED transitions, coalesced: normally rare, but after a Redis loss (or an API
 * restart behind a cold cache) every agent's next heartbeat is one, thousands a second. One batch
 * is in flight at a time and the next one gathers meanwhile; a failed batch is retried row by row
 * so that one bad row fails only its own request.
 */
@Injectable()
export class ConnectBatcher {
  private readonly log = new Logger(ConnectBatcher.name);
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;

  constructor(private readonly liveness: LivenessRepository) {}

  /** True when the cluster was not CONNECTED before (a cluster.online event was recorded). */
  markConnected(organizationId: string, clusterId: string, agentVersion: string, at: Date): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ organizationId, clusterId, agentVersion, at, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, MAX_BATCH);
        this.queue = this.queue.slice(MAX_BATCH);
        await this.run(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    // One row per cluster; a repeat in the same batch finds it CONNECTED already, as it would in turn.
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(p.clusterId)) first.set(p.clusterId, p);
    try {
      const transitioned = await this.liveness.markConnectedMany([...first.values()]);
      for (const p of batch) p.resolve(first.get(p.clusterId) === p && transitioned.has(p.clusterId));
    } catch (e) {
      if (batch.length > 1)
        this.log.warn(
          `batch of ${batch.length} transitions failed (${e instanceof Error ? e.message : 'unknown error'}); one by one`,
        );
      for (const p of batch) {
        await this.liveness
          .markConnected(p.organizationId, p.clusterId, p.agentVersion, p.at)
          .then(p.resolve, p.reject);
      }
    }
  }
}
