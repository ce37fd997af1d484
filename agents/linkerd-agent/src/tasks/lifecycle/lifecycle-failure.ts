// Lifecycle task failures carry one of the contract's stable codes, shown by the API next to the
// human message; the API retries the transient ones (see TRANSIENT_FAILURE_CODES).
import type { LifecycleFailureCode } from '@meshfleet/agent-protocol';
import { TaskFailure } from '../task-failure';

export type { LifecycleFailureCode };

export function lifecycleFailure(code: LifecycleFailureCode, message: string): TaskFailure {
  return new TaskFailure(code, message);
}
