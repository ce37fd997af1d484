import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { TaskUpdates } from '@meshfleet/events';
import { OperationsOrchestrator } from './operations.orchestrator';

/** The most tasks one sync takes; more wait for the next. */
const MAX_BATCH = 500;

/** API side: mirror a task into its operation as soon as the agent reports, not at the next reconcile. */
@Injectable()
export class OperationsSyncListener implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(OperationsSyncListener.name);
  private off: (() => void) | null = null;
  private readonly pending = new Set<string>(); // task ids updated since the running sync began
  private running: Promise<void> | null = null;

  constructor(
    private readonly updates: TaskUpdates,
    private readonly orchestrator: OperationsOrchestrator,
  ) {}

  onModuleInit(): void {
    this.off = this.updates.on((taskId) => {
      this.pending.add(taskId);
      this.drain();
    });
  }

  /**
   * One sync at a time over every task updated meanwhile: an idle listener syncs an update at
   * once; while a sync runs, the agents' calls (a wave's step events and results) pile up and the
   * next sync takes them together, reading each task as it is then. Same result, far fewer
   * statements than a sync per call.
   */
  private drain(): void {
    if (this.running || this.pending.size === 0) return;
    const batch = [...this.pending].slice(0, MAX_BATCH);
    for (const id of batch) this.pending.delete(id);
    this.running = this.orchestrator
      .syncTasks(batch)
      .catch((e: unknown) =>
        this.log.warn(
          `sync of ${batch.length} task(s) failed: ${e instanceof Error ? e.message : 'error'}; the reconciler retries`,
        ),
      )
      .finally(() => {
        this.running = null;
        this.drain();
      });
  }

  async onModuleDestroy(): Promise<void> {
    this.off?.();
    await this.running;
  }
}
