// A task that ran and failed for a reason the API should show (not an agent crash).
import type { AgentFailureCode } from '@meshfleet/agent-protocol';

export class TaskFailure extends Error {
  constructor(
    readonly code: AgentFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}
