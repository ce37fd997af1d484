// Stable codes of a failed task (TaskResult.error.code, copied into the operation's error), shown
// next to the human message. The wire stays open (any short string), so an agent newer than the
// API may add one; these lists are the codes both sides name in code.

/** Lifecycle tasks (install, upgrade, uninstall, issuer rotation, data-plane restart, mesh adoption). */
export const LIFECYCLE_FAILURE_CODES = [
  'PRECHECK_FAILED',
  'UPGRADE_PATH_REFUSED',
  'BUNDLE_UNAVAILABLE',
  'DIGEST_MISMATCH',
  'APPLY_FAILED',
  'CRDS_NOT_ESTABLISHED',
  'CSR_REJECTED',
  'IDENTITY_MATERIAL_INVALID',
  'ROLLOUT_TIMEOUT',
  'DATA_PLANE_RESTART_FAILED',
  /** A mesh-adoption batch did not become Ready (and meshed) in time; it was stopped there. */
  'MESH_BATCH_FAILED',
  'POSTCHECK_FAILED',
  'MESHED_WORKLOADS',
  'NOT_INSTALLED',
  /** multicluster uninstall while Link objects exist (as `linkerd multicluster uninstall` refuses). */
  'LINKS_EXIST',
  'UNINSTALL_INCOMPLETE',
  /** RECONCILE_DRIFT: the agent holds no applied release (in memory nor in its ConfigMap). */
  'NO_DESIRED_STATE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
] as const;
export type LifecycleFailureCode = (typeof LIFECYCLE_FAILURE_CODES)[number];

/** Everything the agent may put in a failed TaskResult. */
export const AGENT_FAILURE_CODES = [
  ...LIFECYCLE_FAILURE_CODES,
  /** Not a TaskFailure: the agent itself broke (a bug, an unexpected exception). */
  'AGENT_ERROR',
  // COLLECT_PROXY_METRICS
  'POD_NOT_FOUND',
  'POD_NOT_MESHED',
  'SCRAPE_FAILED',
] as const;
export type AgentFailureCode = (typeof AGENT_FAILURE_CODES)[number];

/** Set by the API about tasks and operations it ended or retried itself. */
export const API_FAILURE_CODES = [
  /** The operation passed its deadline (or was never dispatched before it). */
  'DEADLINE',
  /** A running task's agent stopped reporting progress for longer than the lease. */
  'LEASE_EXPIRED',
  /** The task was stopped (operation cancelled or timed out); the agent gets 409 on its next call. */
  'STOPPED',
  'CANCELLED',
  /** Not an end: the last attempt failed and a new one was dispatched. */
  'RETRYING',
  /** The stored task does not make a valid envelope; it was failed instead of being handed out. */
  'INVALID_TASK',
] as const;
export type ApiFailureCode = (typeof API_FAILURE_CODES)[number];

export type TaskFailureCode = AgentFailureCode | ApiFailureCode;

/**
 * Failures worth another attempt: the cluster or the network was in the way, not the request.
 * Every agent step is idempotent, so a new attempt converges where the last one stopped.
 */
export const TRANSIENT_FAILURE_CODES: readonly TaskFailureCode[] = [
  'BUNDLE_UNAVAILABLE',
  'APPLY_FAILED',
  'CRDS_NOT_ESTABLISHED',
  'ROLLOUT_TIMEOUT',
  'LEASE_EXPIRED',
];

/** True for a code worth retrying; unknown codes (a newer agent's) are not. */
export function isTransientFailure(code: string): boolean {
  return (TRANSIENT_FAILURE_CODES as readonly string[]).includes(code);
}

/** A task or operation error with a known code. */
export function taskError(
  code: TaskFailureCode,
  message: string,
): { code: TaskFailureCode; message: string } {
  return { code, message };
}
