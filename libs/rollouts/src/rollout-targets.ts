// What the rollout steps share: target and operation states they test, and who they act as.
import { Actor } from '@meshfleet/auth';
import { OperationStatus, Rollout, RolloutTargetStatus } from '@meshfleet/db';

export const TERMINAL: RolloutTargetStatus[] = [
  RolloutTargetStatus.DONE,
  RolloutTargetStatus.FAILED,
  RolloutTargetStatus.SKIPPED,
  RolloutTargetStatus.ROLLED_BACK,
];

export const OP_FAILED: OperationStatus[] = [
  OperationStatus.FAILED,
  OperationStatus.TIMED_OUT,
  OperationStatus.CANCELLED,
];

/** A claim with no operation after this long was left by a worker that died mid-tick. */
export const CLAIM_STALE_MS = 60_000;
/**
 * How much older than the tick's lock a claim must be to count as left by a dead tick: the
 * claim's time comes from the database's clock, the lock's from the worker's.
 */
export const CLAIM_CLOCK_SLACK_MS = 2_000;

/** The rollout acts on clusters as itself, with the rights of an admin of its organization. */
export function rolloutActor(r: Rollout): Actor {
  return {
    organizationId: r.organizationId,
    role: 'ADMIN',
    kind: 'SYSTEM',
    actorId: r.id,
    actorName: `rollout:${r.name}`,
    ip: null,
    userAgent: null,
    requestId: null,
  };
}

/** What a target's operation is called in its reason: an upgrade, or a mesh adoption. */
export const operationNoun = (action: string): string =>
  action === 'MESH_NAMESPACES' ? 'mesh adoption' : 'upgrade';
