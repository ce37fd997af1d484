import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { ConflictError, DomainError, FailedPreconditionError } from '@meshfleet/core';
import {
  Operation,
  OperationKind,
  OperationStatus,
  Rollout,
  RolloutAction,
  RolloutTarget,
  RolloutTargetStatus,
} from '@meshfleet/db';
import { reportFreshness } from '@meshfleet/linkerd';
import { MeshNamespacesRequest, OperationsRepository, OperationsService } from '@meshfleet/operations';
import { evaluateGate, GateFact, gateOf, lastStepAt } from './rollout-gate';
import { RolloutStrategy } from './rollout-strategy';
import {
  CLAIM_CLOCK_SLACK_MS,
  CLAIM_STALE_MS,
  OP_FAILED,
  operationNoun,
  rolloutActor,
} from './rollout-targets';
import { RolloutsRepository } from './rollouts.repository';

/**
 * One step of the current wave: targets whose upgrade ended move on (to the health gate, or
 * FAILED), gating targets are judged (evaluateGate), and waiting ones start upgrading while
 * maxUnavailable leaves room. Every move is conditional on the target's status, so racing ticks
 * cannot regress one. Each method returns whether anything changed.
 */
@Injectable()
export class RolloutWaveStep {
  constructor(
    private readonly repo: RolloutsRepository,
    private readonly ops: OperationsService,
    private readonly opsRepo: OperationsRepository,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Moves the wave's upgrading and gating targets on from their operations and health. */
  async observe(
    r: Rollout,
    wave: RolloutTarget[],
    facts: Map<string, GateFact>,
    now: Date,
    lockedAt?: Date,
  ): Promise<boolean> {
    const s = r.strategy as unknown as RolloutStrategy;
    let changed = false;
    const upgrading = wave.filter((t) => t.status === RolloutTargetStatus.UPGRADING);
    const gating = wave.filter((t) => t.status === RolloutTargetStatus.GATING);
    const ops = new Map(
      (
        await this.opsRepo.byIds(
          [...upgrading, ...gating].flatMap((t) => (t.operationId ? [t.operationId] : [])),
        )
      ).map((o) => [o.id, o]),
    );
    const succeeded: string[] = [];
    for (const t of upgrading) {
      const op = t.operationId ? ops.get(t.operationId) : undefined;
      if (!t.operationId) changed = (await this.releaseStaleClaim(r, t, now, lockedAt)) || changed;
      else if (op?.status === OperationStatus.SUCCEEDED) succeeded.push(t.id);
      else if (op && OP_FAILED.includes(op.status)) {
        const msg = (op.error as { message?: string } | null)?.message ?? op.status;
        changed =
          (await this.repo.moveTarget(t.id, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.FAILED,
            reason: `${operationNoun(r.action)} ${op.status}: ${msg}`,
          })) || changed;
      }
    }
    changed =
      (await this.repo.moveTargets(succeeded, RolloutTargetStatus.UPGRADING, {
        status: RolloutTargetStatus.GATING,
        gateUntil: new Date(now.getTime() + s.healthGate.durationSeconds * 1000),
      })) > 0 || changed;
    const freshness = reportFreshness(this.config.reportIntervalSeconds, now);
    const passed: string[] = [];
    for (const t of wave) {
      if (t.status !== RolloutTargetStatus.GATING || !t.gateUntil) continue;
      const verdict = evaluateGate({
        gateUntil: t.gateUntil,
        baselinePodCoverage: t.baselinePodCoverage,
        fact: facts.get(t.clusterId),
        upgradedAt: lastStepAt(t.operationId ? ops.get(t.operationId)?.steps : null),
        ...gateOf(r.action, r.targetVersion, s.healthGate),
        freshness,
      });
      if (verdict.outcome === 'pass') passed.push(t.id);
      else if (verdict.outcome === 'fail')
        changed =
          (await this.repo.moveTarget(t.id, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.FAILED,
            reason: verdict.reason,
          })) || changed;
    }
    changed =
      (await this.repo.moveTargets(passed, RolloutTargetStatus.GATING, {
        status: RolloutTargetStatus.DONE,
        reason: null,
      })) > 0 || changed;
    return changed;
  }

  /** Starts upgrades for waiting targets while slots (maxUnavailable) are free. */
  async startUpgrades(
    r: Rollout,
    wave: RolloutTarget[],
    facts: Map<string, GateFact>,
    now: Date,
  ): Promise<boolean> {
    const s = r.strategy as unknown as RolloutStrategy;
    let changed = false;
    let slots =
      s.maxUnavailable -
      wave.filter(
        (t) => t.status === RolloutTargetStatus.UPGRADING || t.status === RolloutTargetStatus.GATING,
      ).length;
    const ready: RolloutTarget[] = [];
    for (const t of wave.filter((x) => x.status === RolloutTargetStatus.WAITING)) {
      if (slots <= 0) break;
      const f = facts.get(t.clusterId);
      if (f?.status !== 'CONNECTED') {
        const waitedOut =
          now.getTime() - (r.startedAt ?? r.createdAt).getTime() > s.offlineClusters.waitSeconds * 1000;
        if (s.offlineClusters.mode === 'SKIP' || waitedOut)
          changed =
            (await this.repo.moveTarget(t.id, RolloutTargetStatus.WAITING, {
              status: RolloutTargetStatus.SKIPPED,
              reason: `cluster is ${f?.status ?? 'gone'}`,
            })) || changed;
        continue;
      }
      ready.push(t);
      slots--;
    }
    const ids = new Set(
      await this.repo.claim(
        r.organizationId,
        r.id,
        ready.map((t) => t.id),
      ),
    );
    const claimed = ready.filter((t) => ids.has(t.id));
    if (!claimed.length) return changed;
    let results: Map<string, Operation | DomainError>;
    try {
      const ids = claimed.map((t) => t.clusterId);
      results =
        r.action === RolloutAction.MESH_NAMESPACES
          ? await this.ops.meshMany(
              rolloutActor(r),
              ids,
              r.meshParams as unknown as MeshNamespacesRequest,
              OperationKind.MESH_NAMESPACES,
            )
          : await this.ops.upgradeMany(rolloutActor(r), ids, {
              version: r.targetVersion,
              restartDataPlane: s.restartDataPlane,
            });
    } catch (e) {
      await this.repo.moveTargets(
        claimed.map((t) => t.id),
        RolloutTargetStatus.UPGRADING,
        { status: RolloutTargetStatus.WAITING },
        { operationId: null },
      );
      throw e;
    }
    const started: { id: string; operationId: string; baselinePodCoverage: number | null }[] = [];
    const busy: string[] = [];
    const same: string[] = [];
    const unclaimed = { operationId: null };
    for (const t of claimed) {
      const res = results.get(t.clusterId);
      if (res && !(res instanceof DomainError))
        started.push({
          id: t.id,
          operationId: res.id,
          // The gate measures the coverage drop from here.
          baselinePodCoverage: facts.get(t.clusterId)?.podCoverage ?? null,
        });
      // Busy with another operation: the claim is given back and the cluster waited for.
      else if (!res || res instanceof ConflictError) busy.push(t.id);
      else if (res instanceof FailedPreconditionError && res.details['reason'] === 'SAME_VERSION')
        same.push(t.id);
      // Handed to Argo CD / Flux after planning: left alone, not a failure of the rollout.
      else if (res instanceof FailedPreconditionError && res.details['reason'] === 'GITOPS_MANAGED')
        await this.repo.moveTargets(
          [t.id],
          RolloutTargetStatus.UPGRADING,
          { status: RolloutTargetStatus.SKIPPED, reason: res.message },
          unclaimed,
        );
      else
        await this.repo.moveTargets(
          [t.id],
          RolloutTargetStatus.UPGRADING,
          { status: RolloutTargetStatus.FAILED, reason: res.message },
          unclaimed,
        );
    }
    await this.repo.recordOperations(started);
    await this.repo.moveTargets(
      busy,
      RolloutTargetStatus.UPGRADING,
      { status: RolloutTargetStatus.WAITING },
      unclaimed,
    );
    // Already at the target (e.g. retried after its upgrade failed its post-check): no upgrade, but
    // the health gate still judges it (with no baseline: nothing was changed to measure against).
    await this.repo.moveTargets(
      same,
      RolloutTargetStatus.UPGRADING,
      {
        status: RolloutTargetStatus.GATING,
        gateUntil: new Date(now.getTime() + s.healthGate.durationSeconds * 1000),
        reason: 'already at the target version',
        baselinePodCoverage: null,
      },
      unclaimed,
    );
    return true;
  }

  /** A claim whose worker died before creating the operation goes back to WAITING. */
  /**
   * A claim without an operation is stale when it predates the tick's lock (less a clock slack:
   * the claim's time is the database's), else, for ticks run without the lock, after CLAIM_STALE_MS.
   */
  private async releaseStaleClaim(
    r: Rollout,
    t: RolloutTarget,
    now: Date,
    lockedAt?: Date,
  ): Promise<boolean> {
    const stale = lockedAt
      ? t.updatedAt.getTime() < lockedAt.getTime() - CLAIM_CLOCK_SLACK_MS
      : now.getTime() - t.updatedAt.getTime() >= CLAIM_STALE_MS;
    if (!stale) return false;
    // The dead tick may have created the operation and died before recording it: the target
    // takes that one (its result and health gate count) instead of starting another.
    const orphan = await this.repo.orphanOperation(
      t.clusterId,
      rolloutActor(r).actorName,
      t.updatedAt,
      CLAIM_CLOCK_SLACK_MS,
    );
    if (orphan) {
      await this.repo.recordOperations([{ id: t.id, operationId: orphan, baselinePodCoverage: null }]);
      return true;
    }
    return (
      (await this.repo.moveTargets(
        [t.id],
        RolloutTargetStatus.UPGRADING,
        { status: RolloutTargetStatus.WAITING },
        {
          operationId: null,
        },
      )) > 0
    );
  }
}
