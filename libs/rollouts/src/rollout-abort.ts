import { Injectable } from '@nestjs/common';
import { OperationStatus, RolloutTargetStatus } from '@meshfleet/db';
import { OperationsRepository } from '@meshfleet/operations';
import { CLAIM_STALE_MS, OP_FAILED, operationNoun } from './rollout-targets';
import { RolloutsRepository, RolloutWithTargets } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

const FINISHED_AFTER_ABORT = 'finished after the abort, health gate not run';

/**
 * An aborted rollout starts nothing, but upgrades already in flight run to their end (an agent
 * stopped between steps would leave a half-upgraded control plane); their targets then record
 * what happened, so per-cluster statuses stay true after the abort.
 */
@Injectable()
export class RolloutAbort {
  constructor(
    private readonly repo: RolloutsRepository,
    private readonly opsRepo: OperationsRepository,
    private readonly rollouts: RolloutsService,
  ) {}

  async settle(r: RolloutWithTargets, now: Date): Promise<void> {
    let changed =
      (await this.repo.moveTargets(
        r.targets.filter((t) => t.status === RolloutTargetStatus.WAITING).map((t) => t.id),
        RolloutTargetStatus.WAITING,
        { status: RolloutTargetStatus.SKIPPED, reason: 'rollout aborted' },
      )) > 0;
    const upgrading = r.targets.filter((t) => t.status === RolloutTargetStatus.UPGRADING);
    const ops = new Map(
      (await this.opsRepo.byIds(upgrading.flatMap((t) => (t.operationId ? [t.operationId] : [])))).map(
        (o) => [o.id, o],
      ),
    );
    for (const t of upgrading) {
      const op = t.operationId ? ops.get(t.operationId) : undefined;
      if (!t.operationId) {
        if (now.getTime() - t.updatedAt.getTime() >= CLAIM_STALE_MS)
          changed =
            (await this.repo.moveTargets(
              [t.id],
              RolloutTargetStatus.UPGRADING,
              { status: RolloutTargetStatus.SKIPPED, reason: 'rollout aborted' },
              { operationId: null },
            )) > 0 || changed;
      } else if (op?.status === OperationStatus.SUCCEEDED)
        changed =
          (await this.repo.moveTarget(t.id, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.DONE,
            reason: `${r.action === 'MESH_NAMESPACES' ? 'meshed' : 'upgraded'}; ${FINISHED_AFTER_ABORT}`,
          })) || changed;
      else if (op && OP_FAILED.includes(op.status)) {
        const msg = (op.error as { message?: string } | null)?.message ?? op.status;
        changed =
          (await this.repo.moveTarget(t.id, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.FAILED,
            reason: `${operationNoun(r.action)} ${op.status}: ${msg}`,
          })) || changed;
      }
    }
    if (changed) await this.rollouts.notify(r.organizationId, r.id, true);
  }
}
