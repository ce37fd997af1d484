import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { ConflictError, FailedPreconditionError } from '@meshfleet/core';
import { OperationStatus, Prisma, RolloutStatus, RolloutTarget, RolloutTargetStatus } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { OperationsRepository, OperationsService } from '@meshfleet/operations';
import { RedisService } from '@meshfleet/queue';
import { failureBudget, RolloutStrategy } from './rollout-strategy';
import { RolloutsRepository, RolloutWithTargets } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

const TERMINAL: RolloutTargetStatus[] = [
  RolloutTargetStatus.DONE,
  RolloutTargetStatus.FAILED,
  RolloutTargetStatus.SKIPPED,
  RolloutTargetStatus.ROLLED_BACK,
];
const OP_FAILED: OperationStatus[] = [
  OperationStatus.FAILED,
  OperationStatus.TIMED_OUT,
  OperationStatus.CANCELLED,
];
/** After the gate ends, how long we wait for a fresh report of the new version before failing. */
const REPORT_GRACE_MS = 5 * 60_000;
const ROLLBACK = 'rollback';

/**
 * Level-triggered rollout driver: every tick re-reads the rollout, its targets, their operations
 * and the clusters' latest health, and moves things one step. Ticks are idempotent (conditional
 * updates), so a restarted worker simply continues; only the current wave is ever worked on.
 */
@Injectable()
export class RolloutsOrchestrator {
  private readonly log = new Logger(RolloutsOrchestrator.name);

  constructor(
    private readonly repo: RolloutsRepository,
    private readonly ops: OperationsService,
    private readonly opsRepo: OperationsRepository,
    private readonly rollouts: RolloutsService,
    private readonly redis: RedisService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async tickAll(): Promise<void> {
    for (const r of await this.repo.active()) {
      const lock = this.redis.key('locks', 'rollout', r.id);
      if ((await this.redis.client.set(lock, '1', 'PX', 30_000, 'NX')) !== 'OK') continue;
      try {
        await this.tick(r.id);
      } catch (e) {
        this.log.error(`rollout ${r.id} tick failed: ${e instanceof Error ? e.message : 'error'}`);
      } finally {
        await this.redis.client.del(lock);
      }
    }
  }

  async tick(id: string, now = new Date()): Promise<void> {
    const r = await this.repo.byId(id);
    if (!r) return;
    if (r.status === RolloutStatus.ROLLING_BACK) return this.rollBack(r);
    if (r.status !== RolloutStatus.RUNNING) return;
    const s = r.strategy as unknown as RolloutStrategy;
    const lastWave = Math.max(-1, ...r.targets.map((t) => t.wave));
    const w = r.currentWave;
    if (w > lastWave) return this.finish(r, RolloutStatus.SUCCEEDED);
    const wave = r.targets.filter((t) => t.wave === w);
    if (s.betweenWaves.requireApproval && w > 0 && r.approvedWave < w) {
      return this.pauseWith(r, `Waiting for approval of wave ${w} (approveWave)`, false);
    }
    if (w > 0 && s.betweenWaves.delaySeconds > 0) {
      const prevDone = Math.max(
        0,
        ...r.targets.filter((t) => t.wave === w - 1).map((t) => t.updatedAt.getTime()),
      );
      if (now.getTime() - prevDone < s.betweenWaves.delaySeconds * 1000) return;
    }
    const actor = this.actor(r);
    const facts = new Map((await this.repo.gateFacts(wave.map((t) => t.clusterId))).map((f) => [f.id, f]));
    const freshMs = this.config.reportIntervalSeconds * 3 * 1000;
    let changed = false;
    for (const t of wave) {
      if (t.status === RolloutTargetStatus.UPGRADING && t.operationId) {
        const op = await this.opsRepo.byId(t.operationId);
        if (op?.status === OperationStatus.SUCCEEDED) {
          changed ||= await this.target(t, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.GATING,
            gateUntil: new Date(now.getTime() + s.healthGate.durationSeconds * 1000),
          });
        } else if (op && OP_FAILED.includes(op.status)) {
          const msg = (op.error as { message?: string } | null)?.message ?? op.status;
          changed ||= await this.target(t, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.FAILED,
            reason: `upgrade ${op.status}: ${msg}`,
          });
        }
      } else if (t.status === RolloutTargetStatus.GATING && t.gateUntil) {
        const f = facts.get(t.clusterId);
        const fresh =
          f?.status === 'CONNECTED' &&
          f.generatedAt &&
          now.getTime() - f.generatedAt.getTime() < freshMs &&
          f.version === r.targetVersion;
        const bad =
          fresh && (f.health === 'UNHEALTHY' || (!s.healthGate.allowWarnings && f.health === 'DEGRADED'));
        const baseline = /podCoverage=([0-9.]+)/.exec(t.reason ?? '')?.[1];
        const drop =
          fresh && baseline !== undefined && f.podCoverage !== null ? Number(baseline) - f.podCoverage : 0;
        if (bad)
          changed ||= await this.target(t, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.FAILED,
            reason: `health gate: cluster is ${f!.health}`,
          });
        else if (drop > s.healthGate.maxCoverageDrop)
          changed ||= await this.target(t, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.FAILED,
            reason: `health gate: pod mTLS coverage dropped by ${(drop * 100).toFixed(1)} points`,
          });
        else if (fresh && now >= t.gateUntil)
          changed ||= await this.target(t, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.DONE,
            reason: null,
          });
        else if (now.getTime() > t.gateUntil.getTime() + REPORT_GRACE_MS)
          changed ||= await this.target(t, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.FAILED,
            reason: 'health gate: no fresh report of the new version',
          });
      }
    }
    const current = (await this.repo.byId(id))!;
    const waveNow = current.targets.filter((t) => t.wave === w);
    let slots =
      s.maxUnavailable -
      waveNow.filter(
        (t) => t.status === RolloutTargetStatus.UPGRADING || t.status === RolloutTargetStatus.GATING,
      ).length;
    for (const t of waveNow.filter((x) => x.status === RolloutTargetStatus.WAITING)) {
      if (slots <= 0) break;
      const f = facts.get(t.clusterId);
      if (f?.status !== 'CONNECTED') {
        const waitedOut =
          now.getTime() - (r.startedAt ?? r.createdAt).getTime() > s.offlineClusters.waitSeconds * 1000;
        if (s.offlineClusters.mode === 'SKIP' || waitedOut)
          changed ||= await this.target(t, RolloutTargetStatus.WAITING, {
            status: RolloutTargetStatus.SKIPPED,
            reason: `cluster is ${f?.status ?? 'gone'}`,
          });
        continue;
      }
      try {
        const op = await this.ops.upgrade(actor, t.clusterId, {
          version: r.targetVersion,
          restartDataPlane: s.restartDataPlane,
        });
        changed ||= await this.target(t, RolloutTargetStatus.WAITING, {
          status: RolloutTargetStatus.UPGRADING,
          operationId: op.id,
          reason: f.podCoverage !== null ? `baseline podCoverage=${f.podCoverage}` : null,
        });
        slots--;
      } catch (e) {
        if (e instanceof ConflictError) continue; // busy with another operation: waited for, not double-booked
        if (e instanceof FailedPreconditionError && e.details['reason'] === 'SAME_VERSION')
          changed ||= await this.target(t, RolloutTargetStatus.WAITING, {
            status: RolloutTargetStatus.DONE,
            reason: 'already at the target version',
          });
        else if (e instanceof FailedPreconditionError)
          changed ||= await this.target(t, RolloutTargetStatus.WAITING, {
            status: RolloutTargetStatus.FAILED,
            reason: e.message,
          });
        else throw e;
      }
    }
    const after = (await this.repo.byId(id))!;
    const failed = after.targets.filter((t) => t.status === RolloutTargetStatus.FAILED).length;
    const budget = failureBudget(s, after.targets.length);
    if (failed > budget) {
      if (s.autoRollback)
        return this.startRollback(after, `Failure budget exhausted: ${failed} failed (budget ${budget})`);
      return this.pauseWith(
        after,
        `Failure budget exhausted: ${failed} failed (budget ${budget}). Fix the failed clusters and resume, or abort.`,
        true,
      );
    }
    const waveAfter = after.targets.filter((t) => t.wave === w);
    if (waveAfter.every((t) => TERMINAL.includes(t.status))) {
      await this.repo.transaction(async (db) => {
        const moved = await db.rollout.updateMany({
          where: { id, currentWave: w, status: RolloutStatus.RUNNING },
          data: { currentWave: w + 1 },
        });
        if (moved.count !== 1) return;
        const count = (st: RolloutTargetStatus) => waveAfter.filter((t) => t.status === st).length;
        await recordDomainEvent(db, r.organizationId, 'rollout.wave_completed', null, {
          rolloutId: id,
          name: r.name,
          wave: w,
          done: count(RolloutTargetStatus.DONE),
          failed: count(RolloutTargetStatus.FAILED),
          skipped: count(RolloutTargetStatus.SKIPPED),
        });
        const next = after.targets.filter((t) => t.wave === w + 1).length;
        if (next)
          await recordDomainEvent(db, r.organizationId, 'rollout.wave_started', null, {
            rolloutId: id,
            name: r.name,
            wave: w + 1,
            clusters: next,
          });
      });
      changed = true;
    }
    if (changed) await this.rollouts.notify(r.organizationId, id);
  }

  private actor(r: RolloutWithTargets): Actor {
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

  private async target(
    t: RolloutTarget,
    from: RolloutTargetStatus,
    data: Prisma.RolloutTargetUpdateManyMutationInput,
  ): Promise<boolean> {
    const r = await this.repo.prisma.rolloutTarget.updateMany({ where: { id: t.id, status: from }, data });
    return r.count === 1;
  }

  private async pauseWith(r: RolloutWithTargets, reason: string, failure: boolean): Promise<void> {
    const paused = await this.repo.transaction(async (db) => {
      const m = await db.rollout.updateMany({
        where: { id: r.id, status: RolloutStatus.RUNNING },
        data: { status: RolloutStatus.PAUSED, pausedReason: reason },
      });
      if (m.count === 1 && failure)
        await recordDomainEvent(db, r.organizationId, 'rollout.paused', null, {
          rolloutId: r.id,
          name: r.name,
          reason,
        });
      return m.count === 1;
    });
    if (paused) await this.rollouts.notify(r.organizationId, r.id);
  }

  private async finish(r: RolloutWithTargets, status: RolloutStatus): Promise<void> {
    const done = await this.repo.transaction(async (db) => {
      const m = await db.rollout.updateMany({
        where: { id: r.id, status: RolloutStatus.RUNNING },
        data: { status, finishedAt: new Date() },
      });
      if (m.count === 1)
        await recordDomainEvent(db, r.organizationId, 'rollout.succeeded', null, {
          rolloutId: r.id,
          name: r.name,
          targetVersion: r.targetVersion,
        });
      return m.count === 1;
    });
    if (done) await this.rollouts.notify(r.organizationId, r.id);
  }

  private async startRollback(r: RolloutWithTargets, reason: string): Promise<void> {
    await this.repo.transaction(async (db) => {
      const m = await db.rollout.updateMany({
        where: { id: r.id, status: RolloutStatus.RUNNING },
        data: { status: RolloutStatus.ROLLING_BACK, pausedReason: reason },
      });
      if (m.count === 1)
        await recordDomainEvent(db, r.organizationId, 'rollout.failed', null, {
          rolloutId: r.id,
          name: r.name,
          reason,
        });
    });
    await this.rollouts.notify(r.organizationId, r.id);
  }

  /** Returns the failed wave to the version it had; finished earlier waves are left alone. */
  private async rollBack(r: RolloutWithTargets): Promise<void> {
    const actor = this.actor(r);
    const wave = r.targets.filter((t) => t.wave === r.currentWave);
    for (const t of wave) {
      if (
        (t.status === RolloutTargetStatus.DONE ||
          t.status === RolloutTargetStatus.FAILED ||
          t.status === RolloutTargetStatus.GATING) &&
        t.reason !== ROLLBACK &&
        t.fromVersion
      ) {
        try {
          const op = await this.ops.upgrade(actor, t.clusterId, {
            version: t.fromVersion,
            allowDowngrade: true,
          });
          await this.target(t, t.status, {
            status: RolloutTargetStatus.UPGRADING,
            operationId: op.id,
            reason: ROLLBACK,
          });
        } catch (e) {
          if (e instanceof ConflictError) continue;
          if (e instanceof FailedPreconditionError)
            await this.target(t, t.status, {
              status: RolloutTargetStatus.ROLLED_BACK,
              reason: `nothing to roll back: ${e.message}`,
            });
          else throw e;
        }
      } else if (t.status === RolloutTargetStatus.UPGRADING && t.reason === ROLLBACK && t.operationId) {
        const op = await this.opsRepo.byId(t.operationId);
        if (op?.status === OperationStatus.SUCCEEDED)
          await this.target(t, t.status, { status: RolloutTargetStatus.ROLLED_BACK });
        else if (op && OP_FAILED.includes(op.status))
          await this.target(t, t.status, {
            status: RolloutTargetStatus.FAILED,
            reason: `rollback ${op.status}`,
          });
      } else if (t.status === RolloutTargetStatus.UPGRADING && t.reason !== ROLLBACK && t.operationId) {
        // An upgrade still in flight: let it finish, then roll it back.
        const op = await this.opsRepo.byId(t.operationId);
        if (op && (op.status === OperationStatus.SUCCEEDED || OP_FAILED.includes(op.status)))
          await this.target(t, t.status, {
            status: RolloutTargetStatus.FAILED,
            reason: 'rolled back with its wave',
          });
      } else if (t.status === RolloutTargetStatus.WAITING) {
        await this.target(t, t.status, {
          status: RolloutTargetStatus.SKIPPED,
          reason: 'rollout rolled back',
        });
      }
    }
    const after = (await this.repo.byId(r.id))!.targets.filter((t) => t.wave === r.currentWave);
    const settled = after.every(
      (t) =>
        t.status === RolloutTargetStatus.ROLLED_BACK ||
        t.status === RolloutTargetStatus.SKIPPED ||
        (t.status === RolloutTargetStatus.FAILED && t.reason?.startsWith('rollback')),
    );
    if (settled) {
      await this.repo.transaction(async (db) => {
        const m = await db.rollout.updateMany({
          where: { id: r.id, status: RolloutStatus.ROLLING_BACK },
          data: { status: RolloutStatus.ROLLED_BACK, finishedAt: new Date() },
        });
        if (m.count === 1)
          await recordDomainEvent(db, r.organizationId, 'rollout.rolled_back', null, {
            rolloutId: r.id,
            name: r.name,
            clusters: after.filter((t) => t.status === RolloutTargetStatus.ROLLED_BACK).length,
          });
      });
    }
    await this.rollouts.notify(r.organizationId, r.id);
  }
}
