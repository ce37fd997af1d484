// Stable failure codes of lifecycle tasks, shown by the API next to the human message.
import { TaskFailure } from '../task-failure';

export type LifecycleFailureCode =
  | 'PRECHECK_FAILED'
  | 'UPGRADE_PATH_REFUSED'
  | 'BUNDLE_UNAVAILABLE'
  | 'DIGEST_MISMATCH'
  | 'APPLY_FAILED'
  | 'CRDS_NOT_ESTABLISHED'
  | 'CSR_REJECTED'
  | 'IDENTITY_MATERIAL_INVALID'
  | 'ROLLOUT_TIMEOUT'
  | 'DATA_PLANE_RESTART_FAILED'
  | 'POSTCHECK_FAILED'
  | 'MESHED_WORKLOADS'
  | 'NOT_INSTALLED'
  | 'UNINSTALL_INCOMPLETE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED';

export function lifecycleFailure(code: LifecycleFailureCode, message: string): TaskFailure {
  return new TaskFailure(code, message);
}
