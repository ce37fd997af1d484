import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Rollout, RolloutStatus, RolloutTargetStatus } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { RedisService } from '@meshfleet/redis';
import { RolloutAbort } from './rollout-abort';
import { nextGateCheck } from './rollout-gate';
import { RolloutRollback } from './rollout-rollback';
import { failureBudget, RolloutStrategy } from './rollout-strategy';
import { TERMINAL } from './rollout-targets';
import { RolloutWaveStep } from './rollout-wave.step';
import { RolloutsRepository } from './rollouts.repository';
import { RolloutsService } from './rollouts.service';

/** The per-rollout tick lock's lifetime; renewed while a tick runs. */
const LOCK_TTL_MS = 10_000;

/**
 * Level-triggered rollout driver (the scheduling): every tick re-reads the rollout, its current
 * wave's targets, their operations and the clusters' latest health, and moves things one step:
 * the wave step (RolloutWaveStep), then the failure budget, then the next wave. Aborted and
 * rolling-back rollouts are stepped by RolloutAbort and RolloutRollback. Ticks are idempotent
 * (conditional updates), so a restarted worker simply continues; only the current wave is ever
 * worked on. A tick returns when it next wants to run (a health gate ending), or null.
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
    private readonly waveStep: RolloutWaveStep,
    private readonly abort: RolloutAbort,
    private readonly rollback: RolloutRollback,
    private readonly rollouts: RolloutsService,
    private readonly redis: RedisService,
  ) {}

  async tickAll(): Promise<Date | null> {
    let next: Date | null = null;
    for (const r of await this.repo.active()) {
      if (this.closed) break;
      const lock = this.redis.key('locks', 'rollout', r.id);
      // A short lock kept alive while the tick runs: a worker killed mid-tick holds the rollout
      // for at most LOCK_TTL_MS, not for as long as a tick could take.
      if ((await this.redis.client.set(lock, '1', 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') continue;
      const lockedAt = new Date();
      const renew = setInterval(() => {
        if (this.closed) clearInterval(renew);
        else this.redis.client.pexpire(lock, LOCK_TTL_MS).catch(() => undefined);
      }, LOCK_TTL_MS / 3);
      this.renewals.add(renew);
      try {
        const at = await this.tick(r.organizationId, r.id, undefined, lockedAt);
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

  /**
   * `lockedAt`: when this tick took the rollout's lock. Ticks hold it from a target's claim to its
   * recorded operation, so a claim without an operation from before it was left by a tick that
   * died (a killed worker): it is released at once instead of after CLAIM_STALE_MS.
   */
  async tick(organizationId: string, id: string, now?: Date, lockedAt?: Date): Promise<Date | null> {
    // A wave that completes lets the next one start in the same tick rather than a tick later.
    for (;;) {
      const step = await this.step(organizationId, id, now ?? new Date(), lockedAt);
      if (step !== 'advanced') return step;
    }
  }

  private async step(org: string, id: string, now: Date, lockedAt?: Date): Promise<Date | null | 'advanced'> {
    const r = await this.repo.header(org, id);
    if (!r) return null;
    if (r.status === RolloutStatus.ROLLING_BACK) {
      await this.rollback.step((await this.repo.byId(org, id))!, now);
      return null;
    }
    if (r.status === RolloutStatus.ABORTED) {
      await this.abort.settle((await this.repo.byId(org, id))!, now);
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
    const facts = new Map(
      (
        await this.repo.gateFacts(
          org,
          wave.map((t) => t.clusterId),
        )
      ).map((f) => [f.id, f]),
    );
    let changed = await this.waveStep.observe(r, wave, facts, now, lockedAt);
    const waveNow = await this.repo.waveTargets(id, w);
    changed = (await this.waveStep.startUpgrades(r, waveNow, facts, now)) || changed;
    const failed = await this.repo.failedCount(id);
    const budget = failureBudget(
      s,
      [...sizes.values()].reduce((a, b) => a + b, 0),
    );
    if (failed > budget) {
      const after = (await this.repo.byId(org, id))!;
      const names = after.targets
        .filter((t) => t.status === RolloutTargetStatus.FAILED)
        .map((t) => t.clusterName);
      const which = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
      const reason = `Failure budget exhausted: ${failed} failed (budget ${budget}): ${which}`;
      if (s.autoRollback) await this.rollback.start(after, reason);
      else await this.pauseWith(after, `${reason}. Fix the failed clusters and resume, or abort.`, true);
      return null;
    }
    const waveAfter = await this.repo.waveTargets(id, w);
    if (waveAfter.every((t) => TERMINAL.includes(t.status))) {
      const moved = await this.repo.transaction(async (db) => {
        if (!(await this.repo.moveRollout(db, org, id, RolloutStatus.RUNNING, { currentWave: w + 1 }, w)))
          return false;
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
    return nextGateCheck(waveAfter, now);
  }

  /** Targets per wave; a rollout's targets are fixed when it starts, so this is read once. */
  private async waveSizes(id: string): Promise<Map<number, number>> {
    let sizes = this.sizes.get(id);
    if (!sizes) this.sizes.set(id, (sizes = await this.repo.waveSizes(id)));
    return sizes;
  }

  private async pauseWith(r: Rollout, reason: string, failure: boolean): Promise<void> {
    const paused = await this.repo.transaction(async (db) => {
      const moved = await this.repo.moveRollout(db, r.organizationId, r.id, RolloutStatus.RUNNING, {
        status: RolloutStatus.PAUSED,
        pausedReason: reason,
      });
      if (moved && failure)
        await recordDomainEvent(db, r.organizationId, 'rollout.paused', null, {
          rolloutId: r.id,
          name: r.name,
          reason,
        });
      return moved;
    });
    if (paused) await this.rollouts.notify(r.organizationId, r.id, true);
  }

  private async finish(r: Rollout, status: RolloutStatus): Promise<void> {
    this.sizes.delete(r.id);
    const done = await this.repo.transaction(async (db) => {
      const moved = await this.repo.moveRollout(db, r.organizationId, r.id, RolloutStatus.RUNNING, {
        status,
        finishedAt: new Date(),
      });
      if (moved)
        await recordDomainEvent(db, r.organizationId, 'rollout.succeeded', null, {
          rolloutId: r.id,
          name: r.name,
          targetVersion: r.targetVersion,
        });
      return moved;
    });
    if (done) await this.rollouts.notify(r.organizationId, r.id, true);
  }
}
