import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { ConflictError, DomainError, FailedPreconditionError } from '@meshfleet/core';
import {
  Operation,
  OperationStatus,
  Prisma,
  Rollout,
  RolloutStatus,
  RolloutTarget,
  RolloutTargetStatus,
} from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { OperationsRepository, OperationsService } from '@meshfleet/operations';
import { RedisService } from '@meshfleet/redis';
import { failureBudget, RolloutStrategy } from './rollout-strategy';
import { GateFact, RolloutsRepository, RolloutWithTargets } from './rollouts.repository';
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
/** While a passed gate waits for the new version's report, how soon to look again. */
const REPORT_RECHECK_MS = 500;
/** A claim with no operation after this long was left by a worker that died mid-tick. */
const CLAIM_STALE_MS = 60_000;
/** The per-rollout tick lock's lifetime; renewed while a tick runs. */
const LOCK_TTL_MS = 10_000;
const ROLLBACK = 'rollback';
const FINISHED_AFTER_ABORT = 'upgraded; finished after the abort, health gate not run';

/**
 * Level-triggered rollout driver: every tick re-reads the rollout, its targets, their operations
 * and the clusters' latest health, and moves things one step. Ticks are idempotent (conditional
 * updates), so a restarted worker simply continues; only the current wave is ever worked on.
 * A tick returns when it next wants to run (a health gate ending), or null.
 */
@Injectable()
export class RolloutsOrchestrator implements OnModuleDestroy {
  private readonly log = new Logger(RolloutsOrchestrator.name);
  /** Lock renewals of running ticks; a closing worker stops renewing so its locks expire. */
  private readonly renewals = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Targets per wave of the rollouts this worker drives (see waveSizes). */
  private readonly sizes = new Map<string, Map<number, number>>();

  constructor(
    private readonly repo: RolloutsRepository,
    private readonly ops: OperationsService,
    private readonly opsRepo: OperationsRepository,
    private readonly rollouts: RolloutsService,
    private readonly redis: RedisService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async tickAll(): Promise<Date | null> {
    let next: Date | null = null;
    for (const r of await this.repo.active()) {
      if (this.closed) break;
      const lock = this.redis.key('locks', 'rollout', r.id);
      // A short lock kept alive while the tick runs: a worker killed mid-tick holds the rollout
      // for at most LOCK_TTL_MS, not for as long as a tick could take.
      if ((await this.redis.client.set(lock, '1', 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') continue;
      const renew = setInterval(() => {
        if (this.closed) clearInterval(renew);
        else this.redis.client.pexpire(lock, LOCK_TTL_MS).catch(() => undefined);
      }, LOCK_TTL_MS / 3);
      this.renewals.add(renew);
      try {
        const at = await this.tick(r.id);
        if (at && (!next || at < next)) next = at;
      } catch (e) {
        this.log.error(`rollout ${r.id} tick failed: ${e instanceof Error ? e.message : 'error'}`);
      } finally {
        clearInterval(renew);
        this.renewals.delete(renew);
        await this.redis.client.del(lock).catch(() => undefined);
      }
    }
    return next;
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const t of this.renewals) clearInterval(t);
    this.renewals.clear();
  }

  async tick(id: string, now?: Date): Promise<Date | null> {
    // A wave that completes lets the next one start in the same tick rather than a tick later.
    for (;;) {
      const step = await this.step(id, now ?? new Date());
      if (step !== 'advanced') return step;
    }
  }

  private async step(id: string, now: Date): Promise<Date | null | 'advanced'> {
    const r = await this.repo.header(id);
    if (!r) return null;
    if (r.status === RolloutStatus.ROLLING_BACK) {
      await this.rollBack((await this.repo.byId(id))!, now);
      return null;
    }
    if (r.status === RolloutStatus.ABORTED) {
      await this.settleAborted((await this.repo.byId(id))!, now);
      return null;
    }
    if (r.status !== RolloutStatus.RUNNING) return null;
    const s = r.strategy as unknown as RolloutStrategy;
    // Only the current wave's targets are read: a tick of a 1,000-cluster rollout stays small.
    const sizes = await this.waveSizes(id);
    const lastWave = Math.max(-1, ...sizes.keys());
    const w = r.currentWave;
    if (w > lastWave) {
      await this.finish(r, RolloutStatus.SUCCEEDED);
      return null;
    }
    const wave = await this.repo.waveTargets(id, w);
    if (s.betweenWaves.requireApproval && w > 0 && r.approvedWave < w) {
      await this.pauseWith(r, `Waiting for approval of wave ${w} (approveWave)`, false);
      return null;
    }
    if (w > 0 && s.betweenWaves.delaySeconds > 0) {
      const prevDone = (await this.repo.lastChangeInWave(id, w - 1))?.getTime() ?? 0;
      const due = prevDone + s.betweenWaves.delaySeconds * 1000;
      if (now.getTime() < due) return new Date(due);
    }
    const facts = new Map((await this.repo.gateFacts(wave.map((t) => t.clusterId))).map((f) => [f.id, f]));
    let changed = await this.observe(r, wave, facts, now);
    const waveNow = await this.repo.waveTargets(id, w);
    changed = (await this.startUpgrades(r, waveNow, facts, now)) || changed;
    const failed = await this.repo.failedCount(id);
    const budget = failureBudget(
      s,
      [...sizes.values()].reduce((a, b) => a + b, 0),
    );
    if (failed > budget) {
      const after = (await this.repo.byId(id))!;
      const names = after.targets
        .filter((t) => t.status === RolloutTargetStatus.FAILED)
        .map((t) => t.clusterName);
      const which = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
      const reason = `Failure budget exhausted: ${failed} failed (budget ${budget}): ${which}`;
      if (s.autoRollback) await this.startRollback(after, reason);
      else await this.pauseWith(after, `${reason}. Fix the failed clusters and resume, or abort.`, true);
      return null;
    }
    const waveAfter = await this.repo.waveTargets(id, w);
    if (waveAfter.every((t) => TERMINAL.includes(t.status))) {
      const moved = await this.repo.transaction(async (db) => {
        const m = await db.rollout.updateMany({
          where: { id, currentWave: w, status: RolloutStatus.RUNNING },
          data: { currentWave: w + 1 },
        });
        if (m.count !== 1) return false;
        const count = (st: RolloutTargetStatus) => waveAfter.filter((t) => t.status === st).length;
        await recordDomainEvent(db, r.organizationId, 'rollout.wave_completed', null, {
          rolloutId: id,
          name: r.name,
          wave: w,
          done: count(RolloutTargetStatus.DONE),
          failed: count(RolloutTargetStatus.FAILED),
          skipped: count(RolloutTargetStatus.SKIPPED),
        });
        const next = sizes.get(w + 1) ?? 0;
        if (next)
          await recordDomainEvent(db, r.organizationId, 'rollout.wave_started', null, {
            rolloutId: id,
            name: r.name,
            wave: w + 1,
            clusters: next,
          });
        return true;
      });
      await this.rollouts.notify(r.organizationId, id, true);
      return moved ? 'advanced' : null;
    }
    if (changed) await this.rollouts.notify(r.organizationId, id, true);
    return this.nextGateCheck(waveAfter, now);
  }

  /** Targets per wave; a rollout's targets are fixed when it starts, so this is read once. */
  private async waveSizes(id: string): Promise<Map<number, number>> {
    let sizes = this.sizes.get(id);
    if (!sizes) this.sizes.set(id, (sizes = await this.repo.waveSizes(id)));
    return sizes;
  }

  /** Moves the wave's upgrading and gating targets on from their operations and health. */
  private async observe(
    r: Rollout,
    wave: RolloutTarget[],
    facts: Map<string, GateFact>,
    now: Date,
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
      if (!t.operationId) changed = (await this.releaseStaleClaim(t, now)) || changed;
      else if (op?.status === OperationStatus.SUCCEEDED) succeeded.push(t.id);
      else if (op && OP_FAILED.includes(op.status)) {
        const msg = (op.error as { message?: string } | null)?.message ?? op.status;
        changed =
          (await this.target(t, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.FAILED,
            reason: `upgrade ${op.status}: ${msg}`,
          })) || changed;
      }
    }
    changed =
      (await this.repo.moveTargets(succeeded, RolloutTargetStatus.UPGRADING, {
        status: RolloutTargetStatus.GATING,
        gateUntil: new Date(now.getTime() + s.healthGate.durationSeconds * 1000),
      })) > 0 || changed;
    const freshMs = this.config.reportIntervalSeconds * 3 * 1000;
    const passed: string[] = [];
    for (const t of wave) {
      if (t.status !== RolloutTargetStatus.GATING || !t.gateUntil) continue;
      const f = facts.get(t.clusterId);
      // Only a report the agent made after the upgrade's last step counts (same clock): one from
      // mid-upgrade already shows the new version while the control plane still rolls.
      const steps = (t.operationId ? ops.get(t.operationId)?.steps : null) as { at?: string }[] | null;
      const upgradedAt = Date.parse(steps?.at(-1)?.at ?? '') || 0;
      const fresh =
        f?.status === 'CONNECTED' &&
        f.generatedAt &&
        f.generatedAt.getTime() >= upgradedAt &&
        now.getTime() - f.generatedAt.getTime() < freshMs &&
        f.version === r.targetVersion;
      const bad =
        fresh && (f.health === 'UNHEALTHY' || (!s.healthGate.allowWarnings && f.health === 'DEGRADED'));
      const baseline = /podCoverage=([0-9.]+)/.exec(t.reason ?? '')?.[1];
      const drop =
        fresh && baseline !== undefined && f.podCoverage !== null ? Number(baseline) - f.podCoverage : 0;
      let fail: string | null = null;
      if (bad) fail = `health gate: cluster is ${f!.health}`;
      else if (drop > s.healthGate.maxCoverageDrop)
        fail = `health gate: pod mTLS coverage dropped by ${(drop * 100).toFixed(1)} points`;
      else if (fresh && now >= t.gateUntil) passed.push(t.id);
      else if (now.getTime() > t.gateUntil.getTime() + REPORT_GRACE_MS)
        fail = 'health gate: no fresh report of the new version';
      if (fail)
        changed =
          (await this.target(t, RolloutTargetStatus.GATING, {
            status: RolloutTargetStatus.FAILED,
            reason: fail,
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
  private async startUpgrades(
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
            (await this.target(t, RolloutTargetStatus.WAITING, {
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
        r.id,
        ready.map((t) => t.id),
      ),
    );
    const claimed = ready.filter((t) => ids.has(t.id));
    if (!claimed.length) return changed;
    let results: Map<string, Operation | DomainError>;
    try {
      results = await this.ops.upgradeMany(
        this.actor(r),
        claimed.map((t) => t.clusterId),
        { version: r.targetVersion, restartDataPlane: s.restartDataPlane },
      );
    } catch (e) {
      await this.repo.moveTargets(
        claimed.map((t) => t.id),
        RolloutTargetStatus.UPGRADING,
        { status: RolloutTargetStatus.WAITING },
        { operationId: null },
      );
      throw e;
    }
    const started: { id: string; operationId: string; reason: string | null }[] = [];
    const busy: string[] = [];
    const same: string[] = [];
    const unclaimed = { operationId: null };
    for (const t of claimed) {
      const res = results.get(t.clusterId);
      const podCoverage = facts.get(t.clusterId)?.podCoverage ?? null;
      if (res && !(res instanceof DomainError))
        started.push({
          id: t.id,
          operationId: res.id,
          reason: podCoverage !== null ? `baseline podCoverage=${podCoverage}` : null,
        });
      // Busy with another operation: the claim is given back and the cluster waited for.
      else if (!res || res instanceof ConflictError) busy.push(t.id);
      else if (res instanceof FailedPreconditionError && res.details['reason'] === 'SAME_VERSION')
        same.push(t.id);
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
    // the health gate still judges it.
    await this.repo.moveTargets(
      same,
      RolloutTargetStatus.UPGRADING,
      {
        status: RolloutTargetStatus.GATING,
        gateUntil: new Date(now.getTime() + s.healthGate.durationSeconds * 1000),
        reason: 'already at the target version',
      },
      unclaimed,
    );
    return true;
  }

  /** A claim whose worker died before creating the operation goes back to WAITING. */
  private async releaseStaleClaim(t: RolloutTarget, now: Date): Promise<boolean> {
    if (now.getTime() - t.updatedAt.getTime() < CLAIM_STALE_MS) return false;
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

  /** When a gating target of the wave can next pass: its gate's end, or soon if its report is late. */
  private nextGateCheck(wave: RolloutTarget[], now: Date): Date | null {
    let next: number | null = null;
    for (const t of wave) {
      if (t.status !== RolloutTargetStatus.GATING || !t.gateUntil) continue;
      // Still gating after its end: no report since the upgrade yet (or not a fresh one).
      const late = now >= t.gateUntil;
      const at = late ? now.getTime() + REPORT_RECHECK_MS : t.gateUntil.getTime();
      if (next === null || at < next) next = at;
    }
    return next === null ? null : new Date(Math.max(next, now.getTime()));
  }

  /**
   * An aborted rollout starts nothing, but upgrades already in flight run to their end (an agent
   * stopped between steps would leave a half-upgraded control plane); their targets then record
   * what happened, so per-cluster statuses stay true after the abort.
   */
  private async settleAborted(r: RolloutWithTargets, now: Date): Promise<void> {
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
          (await this.target(t, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.DONE,
            reason: FINISHED_AFTER_ABORT,
          })) || changed;
      else if (op && OP_FAILED.includes(op.status)) {
        const msg = (op.error as { message?: string } | null)?.message ?? op.status;
        changed =
          (await this.target(t, RolloutTargetStatus.UPGRADING, {
            status: RolloutTargetStatus.FAILED,
            reason: `upgrade ${op.status}: ${msg}`,
          })) || changed;
      }
    }
    if (changed) await this.rollouts.notify(r.organizationId, r.id, true);
  }

  private actor(r: Rollout): Actor {
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

  private async pauseWith(r: Rollout, reason: string, failure: boolean): Promise<void> {
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
    if (paused) await this.rollouts.notify(r.organizationId, r.id, true);
  }

  private async finish(r: Rollout, status: RolloutStatus): Promise<void> {
    this.sizes.delete(r.id);
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
    if (done) await this.rollouts.notify(r.organizationId, r.id, true);
  }

  private async startRollback(r: Rollout, reason: string): Promise<void> {
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
    await this.rollouts.notify(r.organizationId, r.id, true);
  }

  /** Returns the failed wave to the version it had; finished earlier waves are left alone. */
  private async rollBack(r: RolloutWithTargets, now: Date): Promise<void> {
    const actor = this.actor(r);
    const wave = r.targets.filter((t) => t.wave === r.currentWave);
    for (const t of wave) {
      if (
        (t.status === RolloutTargetStatus.DONE ||
          t.status === RolloutTargetStatus.FAILED ||
          t.status === RolloutTargetStatus.GATING) &&
        // Not one whose rollback already ran: a failed rollback is reported, not tried again.
        !t.reason?.startsWith(ROLLBACK) &&
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
            reason: `rollback ${op.status}: ${(op.error as { message?: string } | null)?.message ?? ''}`,
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
    await this.rollouts.notify(r.organizationId, r.id, true);
  }
}
