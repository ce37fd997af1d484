import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { ClustersService } from '@meshfleet/clusters';
import { OperationKind } from '@meshfleet/db';
import { envelopeIssues } from './operation-attempts.service';
import { OPERATION_KINDS, OperationParams } from './operation-kinds';
import { AttemptWithSteps, OperationsRepository } from './operations.repository';
import { OperationsOrchestrator } from './operations.orchestrator';

/** How long the agent has for a diagnostics task. */
const DIAGNOSTICS_TTL_SECONDS = 120;

/**
 * Diagnostics are operations of their own kind, queued for the agent as they are created (no
 * lock, no dispatch job: the caller is waiting) and read as agent tasks (their attempt).
 */
@Injectable()
export class DiagnosticsService {
  constructor(
    private readonly repo: OperationsRepository,
    private readonly orchestrator: OperationsOrchestrator,
    private readonly clusters: ClustersService,
    private readonly audit: AuditService,
  ) {}

  async collectProxyMetrics(
    actor: Actor,
    clusterId: string,
    target: { namespace: string; pod: string },
  ): Promise<AttemptWithSteps> {
    const cluster = await this.clusters.get(actor.organizationId, clusterId);
    return this.start(actor, cluster.id, OperationKind.COLLECT_PROXY_METRICS, target, {
      action: 'diagnostics.collect-proxy-metrics',
      metadata: target,
    });
  }

  /** An agent task of the organization (any kind), by its id. */
  task(organizationId: string, id: string): Promise<AttemptWithSteps> {
    return this.repo.attempt(organizationId, id);
  }

  /**
   * Creates the operation with its first attempt queued, wakes the agent, then audits. Its task
   * is checked before anything is written.
   */
  async start(
    actor: Actor,
    clusterId: string,
    kind: OperationKind,
    params: OperationParams,
    audit: { action: string; metadata: Record<string, unknown> },
  ): Promise<AttemptWithSteps> {
    const id = randomUUID();
    const taskId = randomUUID();
    const spec = OPERATION_KINDS[kind];
    const taskParams = spec.taskParams({ id, params });
    const issues = envelopeIssues({
      id: taskId,
      issuedAt: new Date().toISOString(),
      kind: spec.task,
      params: taskParams,
    });
    if (issues) throw new ValidationError(`Invalid ${spec.task} task: ${issues}`, 'params');
    const deadlineAt = new Date(Date.now() + DIAGNOSTICS_TTL_SECONDS * 1000);
    const attempt = await this.repo.transaction((db) =>
      this.repo.createDispatched(
        db,
        {
          id,
          organizationId: actor.organizationId,
          clusterId,
          kind,
          params,
          requestedBy: actor.actorName,
          deadlineAt,
        },
        { id: taskId, clusterId, kind: spec.task, params: taskParams, deadlineAt },
      ),
    );
    // The agent is woken before the audit record is written: it claims while the caller waits.
    await this.orchestrator.wake(clusterId);
    await this.repo.outsideTransaction((db) =>
      this.audit.recordActor(
        db,
        actor,
        audit.action,
        { type: 'Cluster', id: clusterId },
        { taskId, ...audit.metadata },
      ),
    );
    return { ...attempt, requestedBy: actor.actorName, operationKind: kind, steps: [] };
  }
}
