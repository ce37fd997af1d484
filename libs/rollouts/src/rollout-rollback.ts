import { Injectable } from '@nestjs/common';
import { ConflictError, FailedPreconditionError, ValidationError } from '@meshfleet/core';
import {
  OperationKind,
  OperationStatus,
  Rollout,
  RolloutAction,
  RolloutStatus,
  RolloutTargetStatus,
} from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { MeshNamespacesRequest, OperationsRepository, OperationsService } from '@meshfleet/operations';
import { CLAIM_STALE_MS, OP_FAILED, rolloutActor } from './rollout-targets';
import { RolloutsRepository, RolloutWithTargets } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

/** What users read on a target whose rollback is running. */
const ROLLING_BACK = 'rollback';

/**
 * Automatic rollback: the failed wave returns to the version it had; finished earlier waves are
 * left alone. A target's rollback is recorded in rollbackStartedAt: its operation is then the
 * rollback, and a failed rollback is reported, not started again.
 */
@Injectable()
export class RolloutRollback {
  constructor(
    private readonly repo: RolloutsRepository,
    private readonly ops: OperationsService,
    private readonly opsRepo: OperationsRepository,
    private readonly rollouts: RolloutsService,
  ) {}

  /** A running rollout that ran out of failure budget starts rolling back. */
  async start(r: Rollout, reason: string): Promise<void> {
    await this.repo.transaction(async (db) => {
      const moved = await this.repo.moveRollout(db, r.organizationId, r.id, RolloutStatus.RUNNING, {
        status: RolloutStatus.ROLLING_BACK,
        pausedReason: reason,
      });
      if (moved)
        await recordDomainEvent(db, r.organizationId, 'rollout.failed', null, {
          rolloutId: r.id,
          name: r.name,
          reason,
        });
    });
    await this.rollouts.notify(r.organizationId, r.id, true);
  }

  /** One step of a rolling-back rollout; it ends ROLLED_BACK once every target of its wave settled. */
  async step(r: RolloutWithTargets, now: Date): Promise<void> {
    const actor = rolloutActor(r);
    const wave = r.targets.filter((t) => t.wave === r.currentWave);
    const mesh = r.action === RolloutAction.MESH_NAMESPACES;
    for (const t of wave) {
      const rollingBack = t.rollbackStartedAt !== null;
      if (
        (t.status === RolloutTargetStatus.DONE ||
          t.status === RolloutTargetStatus.FAILED ||
          t.status === RolloutTargetStatus.GATING) &&
        !rollingBack &&
        (mesh || t.fromVersion)
      ) {
        try {
          // A mesh adoption is undone by its inverse on the same namespaces.
          const op = mesh
            ? await this.ops.meshNamespaces(
                actor,
                t.clusterId,
                r.meshParams as unknown as MeshNamespacesRequest,
                OperationKind.UNMESH_NAMESPACES,
              )
            : await this.ops.upgrade(actor, t.clusterId, { version: t.fromVersion!, allowDowngrade: true });
          await this.repo.moveTarget(t.id, t.status, {
            status: RolloutTargetStatus.UPGRADING,
            operationId: op.id,
            reason: ROLLING_BACK,
            rollbackStartedAt: now,
          });
        } catch (e) {
          if (e instanceof ConflictError) continue;
          if (e instanceof FailedPreconditionError || (mesh && e instanceof ValidationError))
            await this.repo.moveTarget(t.id, t.status, {
              status: RolloutTargetStatus.ROLLED_BACK,
              reason: `nothing to roll back: ${e.message}`,
            });
          else throw e;
        }
      } else if (t.status === RolloutTargetStatus.UPGRADING && rollingBack && t.operationId) {
        const op = await this.opsRepo.byId(t.operationId);
        if (op?.status === OperationStatus.SUCCEEDED)
          await this.repo.moveTarget(t.id, t.status, { status: RolloutTargetStatus.ROLLED_BACK });
        else if (op && OP_FAILED.includes(op.status))
          await this.repo.moveTarget(t.id, t.status, {
            status: RolloutTargetStatus.FAILED,
            reason: `rollback ${op.status}: ${(op.error as { message?: string } | null)?.message ?? ''}`,
          });
      } else if (t.status === RolloutTargetStatus.UPGRADING && !rollingBack && t.operationId) {
        // An upgrade still in flight: let it finish, then roll it back.
        const op = await this.opsRepo.byId(t.operationId);
        if (op && (op.status === OperationStatus.SUCCEEDED || OP_FAILED.includes(op.status)))
          await this.repo.moveTarget(t.id, t.status, {
            status: RolloutTargetStatus.FAILED,
            reason: 'rolled back with its wave',
          });
      } else if (t.status === RolloutTargetStatus.WAITING) {
        await this.repo.moveTarget(t.id, t.status, {
          status: RolloutTargetStatus.SKIPPED,
          reason: 'rollout rolled back',
        });
      } else if (
        t.status === RolloutTargetStatus.UPGRADING &&
        !t.operationId &&
        now.getTime() - t.updatedAt.getTime() >= CLAIM_STALE_MS
      ) {
        // Claimed by a tick whose worker died before the upgrade was created: nothing ran there.
        await this.repo.moveTargets(
          [t.id],
          RolloutTargetStatus.UPGRADING,
          { status: RolloutTargetStatus.SKIPPED, reason: 'rollout rolled back' },
          { operationId: null },
        );
      }
    }
    const after = (await this.repo.byId(r.organizationId, r.id))!.targets.filter(
      (t) => t.wave === r.currentWave,
    );
    const settled = after.every(
      (t) =>
        t.status === RolloutTargetStatus.ROLLED_BACK ||
        t.status === RolloutTargetStatus.SKIPPED ||
        (t.status === RolloutTargetStatus.FAILED && t.rollbackStartedAt !== null),
    );
    if (settled) {
      await this.repo.transaction(async (db) => {
        const moved = await this.repo.moveRollout(db, r.organizationId, r.id, RolloutStatus.ROLLING_BACK, {
          status: RolloutStatus.ROLLED_BACK,
          finishedAt: new Date(),
        });
        if (moved)
          await recordDomainEvent(db, r.organizationId, 'rollout.rolled_back', null, {
            rolloutId: r.id,
            name: r.name,
            clusters: after.filter((t) => t.status === RolloutTargetStatus.ROLLED_BACK).length,
          });
      });
    }
    await this.rollouts.notify(r.organizationId, r.id, true);
  }
}
