import { Injectable } from '@nestjs/common';
import { TaskEnvelope, TaskEvent, TaskResult } from '@meshfleet/agent-protocol';
import { AgentPrincipal } from '@meshfleet/auth';
import { AgentWakeupService } from './agent-wakeup.service';

/**
 * What the task routes hand to the feature that owns tasks (the operations core): claim the
 * cluster's next task, take a step event, take a result. Kind-blind: a new kind of task needs
 * nothing here.
 */
export interface AgentTaskHandler {
  claimNext(clusterId: string): Promise<TaskEnvelope | null>;
  recordEvent(agent: AgentPrincipal, taskId: string, event: TaskEvent): Promise<void>;
  recordResult(agent: AgentPrincipal, taskId: string, result: TaskResult): Promise<void>;
}

/**
 * Transport for tasks: the long-poll (Redis only wakes it, the handler claims from Postgres) and
 * the hand-over of events and results to the handler bound at start-up.
 */
@Injectable()
export class AgentTasksService {
  private handler: AgentTaskHandler | null = null;

  constructor(private readonly wakeup: AgentWakeupService) {}

  /** Binds the owner of tasks (once, at start-up). */
  handleWith(handler: AgentTaskHandler): void {
    this.handler = handler;
  }

  private get owner(): AgentTaskHandler {
    if (!this.handler) throw new Error('No agent task handler is bound');
    return this.handler;
  }

  /** Waits up to waitMs for a task, returning as soon as one is queued for this cluster. */
  async poll(clusterId: string, waitMs: number, signal: AbortSignal): Promise<TaskEnvelope | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const waiter = await this.wakeup.prepare(clusterId);
      try {
        const task = await this.owner.claimNext(clusterId);
        if (task) return task;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal.aborted) return null;
        const woken = await waiter.wait(remaining, signal);
        if (!woken) return null;
      } finally {
        waiter.cancel();
      }
    }
  }

  recordEvent(agent: AgentPrincipal, taskId: string, event: TaskEvent): Promise<void> {
    return this.owner.recordEvent(agent, taskId, event);
  }

  recordResult(agent: AgentPrincipal, taskId: string, result: TaskResult): Promise<void> {
    return this.owner.recordResult(agent, taskId, result);
  }
}
