import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { TaskUpdates } from '@meshfleet/events';
import { OperationsOrchestrator } from './operations.orchestrator';

/** API side: mirror a task into its operation as soon as the agent reports, not at the next reconcile. */
@Injectable()
export class OperationsSyncListener implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(OperationsSyncListener.name);
  private off: (() => void) | null = null;

  constructor(
    private readonly updates: TaskUpdates,
    private readonly orchestrator: OperationsOrchestrator,
  ) {}

  onModuleInit(): void {
    this.off = this.updates.on((taskId) => {
      this.orchestrator
        .syncTask(taskId)
        .catch((e: unknown) =>
          this.log.warn(`sync of task ${taskId} failed: ${e instanceof Error ? e.message : 'error'}`),
        );
    });
  }

  onModuleDestroy(): void {
    this.off?.();
  }
}
