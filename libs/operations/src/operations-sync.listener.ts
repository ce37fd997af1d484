import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { TaskUpdates } from '@meshfleet/events';
import { OperationsOrchestrator } from './operations.orchestrator';

/** API side: mirror a task into its operation as soon as the agent reports, not at the next reconcile. */
@Injectable()
export class OperationsSyncListener implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(OperationsSyncListener.name);
  private off: (() => void) | null = null;
  private readonly inFlight = new Map<string, boolean>(); // task id → another sync wanted

  constructor(
    private readonly updates: TaskUpdates,
    private readonly orchestrator: OperationsOrchestrator,
  ) {}

  onModuleInit(): void {
    this.off = this.updates.on((taskId) => this.sync(taskId));
  }

  /**
   * One sync per task at a time: updates arriving meanwhile (an agent's burst of step events)
   * make one more sync after it, which reads the task as it is then. Fewer queries, same result.
   */
  private sync(taskId: string): void {
    if (this.inFlight.has(taskId)) {
      this.inFlight.set(taskId, true);
      return;
    }
    this.inFlight.set(taskId, false);
    this.orchestrator
      .syncTask(taskId)
      .catch((e: unknown) =>
        this.log.warn(`sync of task ${taskId} failed: ${e instanceof Error ? e.message : 'error'}`),
      )
      .finally(() => {
        const again = this.inFlight.get(taskId);
        this.inFlight.delete(taskId);
        if (again) this.sync(taskId);
      });
  }

  onModuleDestroy(): void {
    this.off?.();
  }
}
