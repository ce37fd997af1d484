import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  FailedPreconditionError,
  NotFoundError,
  Page,
  ValidationError,
} from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { ClusterListQuery, ClustersService } from '@meshfleet/clusters';
import { Db, RolloutAction, RolloutStatus } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { CatalogService, checkMeshRequest } from '@meshfleet/operations';
import { LiveUpdates } from '@meshfleet/redis';
import { Plan, planMeshRollout, planRollout } from './rollout-plan';
import { resolveStrategy, StrategyInput } from './rollout-strategy';
import { RolloutChanges, RolloutsRepository, RolloutWithTargets } from './rollouts.repository';

export const ROLLOUT_UPDATED = 'rollout-updated';
const ABORTED_DURING_GATE = 'upgraded; health gate cut short by the abort';

export interface RolloutRequest {
  name?: string | null;
  targetVersion: string;
  selector?: (ClusterListQuery & { clusterIds?: string[] | null }) | null;
  strategy?: StrategyInput | null;
}

/** A fleet-wide mesh adoption: one MESH_NAMESPACES operation per cluster, in waves. */
export interface MeshRolloutRequest {
  name?: string | null;
  namespaces: string[];
  batchSize?: number | null;
  rollbackOnFailure?: boolean | null;
  batchTimeoutSeconds?: number | null;
  selector?: (ClusterListQuery & { clusterIds?: string[] | null }) | null;
  strategy?: StrategyInput | null;
}

@Injectable()
export class RolloutsService {
  constructor(
    private readonly repo: RolloutsRepository,
    private readonly clusters: ClustersService,
    private readonly catalog: CatalogService,
    private readonly audit: AuditService,
    private readonly live: LiveUpdates,
  ) {}

  async plan(actor: Actor, req: RolloutRequest): Promise<Plan> {
    const strategy = resolveStrategy(req.strategy ?? {});
    let release;
    try {
      release = await this.catalog.get(actor.organizationId, req.targetVersion);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ValidationError(
          `Linkerd release ${req.targetVersion} is not in the catalog`,
          'targetVersion',
        );
      throw e;
    }
    const sel = req.selector ?? {};
    const candidates = await this.repo.candidates(
      actor.organizationId,
      this.clusters.listFilter(sel),
      sel.clusterIds ?? [],
    );
    return planRollout(candidates, release, strategy);
  }

  async planMesh(actor: Actor, req: MeshRolloutRequest): Promise<Plan> {
    checkMeshRequest(req);
    const strategy = resolveStrategy(req.strategy ?? {});
    const sel = req.selector ?? {};
    const candidates = await this.repo.meshCandidates(
      actor.organizationId,
      this.clusters.listFilter(sel),
      sel.clusterIds ?? [],
    );
    return planMeshRollout(candidates, req.namespaces, strategy);
  }

  /** Starts a fleet-wide mesh adoption; its waves, gates, budget and controls are an upgrade's. */
  async startMesh(actor: Actor, req: MeshRolloutRequest): Promise<RolloutWithTargets> {
    const plan = await this.planMesh(actor, req);
    const meshParams = {
      namespaces: req.namespaces,
      batchSize: req.batchSize ?? 1,
      rollbackOnFailure: req.rollbackOnFailure ?? true,
      // Only when given: each cluster's operation otherwise takes the agent's default.
      ...(req.batchTimeoutSeconds != null ? { batchTimeoutSeconds: req.batchTimeoutSeconds } : {}),
    };
    return this.begin(actor, plan, {
      name: req.name?.trim() || `mesh ${req.namespaces.join(', ')}`,
      action: RolloutAction.MESH_NAMESPACES,
      meshParams,
      targetVersion: '',
      selector: req.selector ?? {},
      strategy: req.strategy ?? {},
      audit: { action: RolloutAction.MESH_NAMESPACES, ...meshParams },
    });
  }

  async start(actor: Actor, req: RolloutRequest): Promise<RolloutWithTargets> {
    const plan = await this.plan(actor, req);
    return this.begin(actor, plan, {
      name: req.name?.trim() || `upgrade to ${req.targetVersion}`,
      action: RolloutAction.UPGRADE,
      meshParams: null,
      targetVersion: req.targetVersion,
      selector: req.selector ?? {},
      strategy: req.strategy ?? {},
      audit: { targetVersion: req.targetVersion },
    });
  }

  private async begin(
    actor: Actor,
    plan: Plan,
    req: {
      name: string;
      action: RolloutAction;
      meshParams: object | null;
      targetVersion: string;
      selector: object;
      strategy: StrategyInput;
      audit: Record<string, unknown>;
    },
  ): Promise<RolloutWithTargets> {
    const total = plan.waves.reduce((a, w) => a + w.clusters.length, 0);
    if (total === 0)
      throw new FailedPreconditionError(
        req.action === RolloutAction.UPGRADE
          ? 'No cluster of the selection can be upgraded: see planRollout for the reasons'
          : 'No cluster of the selection can take this mesh adoption: see planMeshAdoptionRollout for the reasons',
        { reason: 'EMPTY_PLAN' },
      );
    const name = req.name.slice(0, 120);
    const strategy = resolveStrategy(req.strategy);
    const id = await this.repo.transaction(async (db) => {
      const r = await this.repo.create(
        db,
        actor.organizationId,
        {
          name,
          action: req.action,
          meshParams: req.meshParams,
          targetVersion: req.targetVersion,
          selector: req.selector,
          strategy,
          createdBy: actor.actorName,
          startedAt: new Date(),
        },
        plan.waves.flatMap((w) =>
          w.clusters.map((c) => ({
            clusterId: c.id,
            clusterName: c.name,
            wave: w.index,
            fromVersion: c.fromVersion,
          })),
        ),
      );
      await this.audit.recordActor(
        db,
        actor,
        'rollout.start',
        { type: 'Rollout', id: r.id },
        { ...req.audit, clusters: total, excluded: plan.excluded.length },
      );
      await recordDomainEvent(db, actor.organizationId, 'rollout.started', null, {
        rolloutId: r.id,
        name,
        targetVersion: req.targetVersion,
        clusters: total,
      });
      return r.id;
    });
    await this.notify(actor.organizationId, id);
    return this.repo.get(actor.organizationId, id);
  }

  get(org: string, id: string): Promise<RolloutWithTargets> {
    return this.repo.get(org, id);
  }

  list(
    org: string,
    status: RolloutStatus | null,
    first: number,
    after: string | null,
  ): Promise<Page<RolloutWithTargets>> {
    return this.repo.list(org, status, first, after);
  }

  async pause(actor: Actor, id: string): Promise<RolloutWithTargets> {
    return this.move(
      actor,
      id,
      [RolloutStatus.RUNNING],
      { status: RolloutStatus.PAUSED, pausedReason: `Paused by ${actor.actorName}` },
      'rollout.pause',
      async (db, r) =>
        recordDomainEvent(db, actor.organizationId, 'rollout.paused', null, {
          rolloutId: r.id,
          name: r.name,
          reason: `Paused by ${actor.actorName}`,
        }),
    );
  }

  async resume(actor: Actor, id: string): Promise<RolloutWithTargets> {
    return this.move(
      actor,
      id,
      [RolloutStatus.PAUSED],
      { status: RolloutStatus.RUNNING, pausedReason: null },
      'rollout.resume',
      async (db, r) => {
        await this.repo.retryFailedTargets(db, actor.organizationId, r);
        await recordDomainEvent(db, actor.organizationId, 'rollout.resumed', null, {
          rolloutId: r.id,
          name: r.name,
        });
      },
    );
  }

  async approveWave(actor: Actor, id: string, wave: number): Promise<RolloutWithTargets> {
    const r = await this.repo.get(actor.organizationId, id);
    if (wave !== r.currentWave)
      throw new ValidationError(`The next wave to approve is ${r.currentWave}`, 'wave');
    return this.move(
      actor,
      id,
      [RolloutStatus.RUNNING, RolloutStatus.PAUSED],
      { approvedWave: wave, status: RolloutStatus.RUNNING, pausedReason: null },
      'rollout.approve-wave',
    );
  }

  async abort(actor: Actor, id: string): Promise<RolloutWithTargets> {
    return this.move(
      actor,
      id,
      [RolloutStatus.PENDING, RolloutStatus.RUNNING, RolloutStatus.PAUSED],
      { status: RolloutStatus.ABORTED, finishedAt: new Date() },
      'rollout.abort',
      async (db, r) => {
        // Upgraded clusters keep the new version; their gate is not waited for after an abort.
        // Upgrades still in flight run to their end and the worker records how they ended.
        await this.repo.abortTargets(db, actor.organizationId, r.id, {
          skipped: 'rollout aborted',
          gateCutShort: ABORTED_DURING_GATE,
        });
        await recordDomainEvent(db, actor.organizationId, 'rollout.aborted', null, {
          rolloutId: r.id,
          name: r.name,
        });
      },
    );
  }

  private async move(
    actor: Actor,
    id: string,
    from: RolloutStatus[],
    data: RolloutChanges,
    action: string,
    also?: (db: Db, r: RolloutWithTargets) => Promise<void>,
  ): Promise<RolloutWithTargets> {
    const r = await this.repo.get(actor.organizationId, id);
    await this.repo.transaction(async (db) => {
      if (!(await this.repo.moveRollout(db, actor.organizationId, id, from, data)))
        throw new ConflictError(`Rollout ${r.name} is ${r.status}`, { status: r.status });
      await also?.(db, r);
      await this.audit.recordActor(db, actor, action, { type: 'Rollout', id }, {});
    });
    await this.notify(actor.organizationId, id);
    return this.repo.get(actor.organizationId, id);
  }

  /** `byWorker` marks the orchestrator's own changes, which need no extra tick. */
  notify(organizationId: string, rolloutId: string, byWorker = false): Promise<void> {
    return this.live.publish(ROLLOUT_UPDATED, { organizationId, rolloutId, byWorker }).catch(() => undefined);
  }
}
