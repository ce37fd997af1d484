import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { TaskEvent, TaskEnvelope } from '@meshfleet/agent-protocol';
import { AgentTasksService } from '@meshfleet/agent-gateway';
import {
  AgentTask,
  AgentTaskStatus,
  Operation,
  OperationKind,
  OperationStatus,
  Prisma,
  PrismaService,
} from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { LiveUpdates } from '@meshfleet/queue';
import { ACTIVE, OperationsRepository } from './operations.repository';
import type { OperationParams } from './operations.service';

const TASK_KIND: Record<OperationKind, TaskEnvelope['kind']> = {
  INSTALL: 'LINKERD_INSTALL',
  UPGRADE: 'LINKERD_UPGRADE',
  UNINSTALL: 'LINKERD_UNINSTALL',
  ROTATE_ISSUER: 'ROTATE_ISSUER',
  RESTART_DATA_PLANE: 'RESTART_DATA_PLANE',
};

/**
 * Failures worth another attempt: the cluster or the network was in the way, not the request.
 * Every agent step is idempotent, so a new attempt converges where the last one stopped.
 */
export const TRANSIENT_FAILURES = new Set([
  'BUNDLE_UNAVAILABLE',
  'APPLY_FAILED',
  'CRDS_NOT_ESTABLISHED',
  'ROLLOUT_TIMEOUT',
  'LEASE_EXPIRED',
]);

export const OPERATION_UPDATED = 'operation-updated';

/**
 * Moves operations through their states from what Postgres says: dispatch creates the agent task,
 * sync mirrors the task's events and result, reconcile does both for everything unfinished.
 * Every handler re-reads and uses conditional transitions, so running any of them twice is safe.
 */
@Injectable()
export class OperationsOrchestrator {
  private readonly log = new Logger(OperationsOrchestrator.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: OperationsRepository,
    private readonly tasks: AgentTasksService,
    private readonly domains: IdentityDomainsService,
    private readonly live: LiveUpdates,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  private notify(op: Operation): Promise<void> {
    return this.live
      .publish(OPERATION_UPDATED, {
        operationId: op.id,
        clusterId: op.clusterId,
        organizationId: op.organizationId,
        status: op.status,
      })
      .catch(() => undefined);
  }

  async dispatch(operationId: string): Promise<void> {
    const op = await this.repo.byId(operationId);
    if (!op || op.status !== OperationStatus.QUEUED) return;
    if (op.cancelRequestedAt) return void (await this.finish(op, OperationStatus.CANCELLED, null));
    const params = op.params as unknown as OperationParams;
    let trustAnchorsPem: string | undefined;
    if (params.identity?.identityDomainId) {
      const d = await this.domains.get(op.organizationId, params.identity.identityDomainId);
      trustAnchorsPem = d.anchorCertPem ?? undefined;
    }
    const taskParams = {
      operationId: op.id,
      controlPlaneNamespace: 'linkerd',
      ...(params.release ? { release: params.release } : {}),
      ...(params.identity
        ? {
            identity: {
              mode: params.identity.mode,
              trustDomain: params.identity.trustDomain,
              ...(trustAnchorsPem ? { trustAnchorsPem } : {}),
            },
          }
        : {}),
      ...(op.kind === OperationKind.UPGRADE ? { restartDataPlane: params.restartDataPlane ?? false } : {}),
      ...(op.kind === OperationKind.UNINSTALL ? { force: params.force ?? false } : {}),
      ...(op.kind === OperationKind.RESTART_DATA_PLANE ? { namespaces: params.namespaces ?? [] } : {}),
    };
    const dispatched = await this.prisma
      .$transaction(async (db) => {
        const task = await this.tasks.createIn(db, {
          organizationId: op.organizationId,
          clusterId: op.clusterId,
          kind: TASK_KIND[op.kind],
          params: taskParams,
          requestedBy: op.requestedBy,
          ttlSeconds: 0,
          deadlineAt: op.deadlineAt,
        });
        const moved = await this.repo.transition(db, op.id, [OperationStatus.QUEUED], {
          status: OperationStatus.DISPATCHED,
          agentTaskId: task.id,
          dispatchedAt: new Date(),
        });
        if (!moved) throw new RaceLost();
        return true;
      })
      .catch((e: unknown) => {
        if (e instanceof RaceLost) return false;
        throw e;
      });
    if (dispatched) {
      await this.tasks.wake(op.clusterId);
      await this.notify(op);
    }
  }

  /** Mirrors the agent task into the operation (steps, running, outcome, lease, deadline). */
  async sync(op: Operation, now = new Date()): Promise<void> {
    if (!ACTIVE.includes(op.status) || !op.agentTaskId) return;
    const task = await this.prisma.agentTask.findUnique({ where: { id: op.agentTaskId } });
    if (!task) return;
    const events = (task.events as unknown as TaskEvent[]) ?? [];
    const steps = events as unknown as Prisma.InputJsonValue;
    const from = [OperationStatus.DISPATCHED, OperationStatus.RUNNING];
    switch (task.status) {
      case AgentTaskStatus.SUCCEEDED:
        return this.finish(op, OperationStatus.SUCCEEDED, null, task);
      case AgentTaskStatus.FAILED: {
        const code = (task.error as { code?: string } | null)?.code ?? '';
        if (TRANSIENT_FAILURES.has(code) && (await this.retry(op, task, now))) return;
        return this.finish(op, OperationStatus.FAILED, (task.error ?? null) as Prisma.InputJsonValue, task);
      }
      case AgentTaskStatus.EXPIRED:
        return this.finish(
          op,
          op.cancelRequestedAt ? OperationStatus.CANCELLED : OperationStatus.TIMED_OUT,
          { code: 'DEADLINE', message: 'The operation passed its deadline' },
          task,
        );
    }
    if (now > op.deadlineAt)
      return this.finish(
        op,
        OperationStatus.TIMED_OUT,
        { code: 'DEADLINE', message: 'The operation passed its deadline' },
        task,
      );
    const lastEvent = events.at(-1);
    if (
      task.status === AgentTaskStatus.RUNNING &&
      lastEvent &&
      now.getTime() - Date.parse(lastEvent.at) > this.config.operationLeaseSeconds * 1000
    ) {
      // The agent died or lost its way mid-task: a new attempt resumes when it is back.
      await this.tasks.expire(this.prisma, task.id, 'Lease expired: the agent stopped reporting progress');
      if (await this.retry(op, task, now)) return;
      return this.finish(
        op,
        OperationStatus.TIMED_OUT,
        { code: 'LEASE_EXPIRED', message: 'The agent stopped reporting progress' },
        task,
      );
    }
    const running = task.status === AgentTaskStatus.RUNNING;
    const changed =
      running !== (op.status === OperationStatus.RUNNING) ||
      JSON.stringify(op.steps) !== JSON.stringify(events);
    if (!changed) return;
    await this.repo.transition(this.prisma, op.id, from, {
      steps,
      ...(running ? { status: OperationStatus.RUNNING, startedAt: op.startedAt ?? now } : {}),
    });
    await this.notify(op);
  }

  /** Dispatches a fresh attempt of the same task when attempts and time remain. */
  private async retry(op: Operation, task: AgentTask, now: Date): Promise<boolean> {
    if (op.attempt >= this.config.operationMaxAttempts || now >= op.deadlineAt) return false;
    const retried = await this.prisma.$transaction(async (db) => {
      const next = await this.tasks.createIn(db, {
        organizationId: op.organizationId,
        clusterId: op.clusterId,
        kind: task.kind as TaskEnvelope['kind'],
        params: task.params as Record<string, unknown>,
        requestedBy: op.requestedBy,
        ttlSeconds: 0,
        deadlineAt: op.deadlineAt,
      });
      await db.agentTask.update({ where: { id: next.id }, data: { attempt: op.attempt + 1 } });
      return this.repo.transition(db, op.id, [OperationStatus.DISPATCHED, OperationStatus.RUNNING], {
        status: OperationStatus.DISPATCHED,
        agentTaskId: next.id,
        attempt: op.attempt + 1,
        error: {
          code: 'RETRYING',
          message: `Attempt ${op.attempt} failed: ${(task.error as { message?: string } | null)?.message ?? 'lease expired'}`,
        },
      });
    });
    if (retried) {
      this.log.log(`operation ${op.id} attempt ${op.attempt + 1}`);
      await this.tasks.wake(op.clusterId);
      await this.notify(op);
    }
    return retried;
  }

  async syncTask(taskId: string): Promise<void> {
    const op = await this.repo.byTask(taskId);
    if (op) await this.sync(op);
  }

  /** Cancel: queued ones end at once; dispatched ones stop the task, which ends the agent at its next step. */
  async cancel(op: Operation, by: string): Promise<void> {
    await this.prisma.operation.updateMany({
      where: { id: op.id, cancelRequestedAt: null },
      data: { cancelRequestedAt: new Date() },
    });
    if (op.status === OperationStatus.QUEUED || !op.agentTaskId)
      return this.finish({ ...op, cancelRequestedAt: new Date() }, OperationStatus.CANCELLED, {
        code: 'CANCELLED',
        message: `Cancelled by ${by}`,
      });
    await this.tasks.expire(this.prisma, op.agentTaskId, `Cancelled by ${by}`);
    await this.finish({ ...op, cancelRequestedAt: new Date() }, OperationStatus.CANCELLED, {
      code: 'CANCELLED',
      message: `Cancelled by ${by}`,
    });
  }

  /** Re-derives everything unfinished from Postgres (after a worker restart or a Redis flush). */
  async reconcile(
    enqueueDispatch: (operationId: string) => Promise<void>,
    now = new Date(),
  ): Promise<number> {
    const ops = await this.repo.unfinished(500);
    for (const op of ops) {
      if (op.status === OperationStatus.QUEUED) {
        if (now > op.deadlineAt)
          await this.finish(op, OperationStatus.TIMED_OUT, {
            code: 'DEADLINE',
            message: 'Never dispatched before its deadline',
          });
        else await enqueueDispatch(op.id);
      } else await this.sync(op, now);
    }
    return ops.length;
  }

  private async finish(
    op: Operation,
    status: OperationStatus,
    error: Prisma.InputJsonValue | null,
    task?: AgentTask,
  ): Promise<void> {
    const params = op.params as unknown as OperationParams;
    const finished = await this.prisma.$transaction(async (db) => {
      const moved = await this.repo.transition(db, op.id, ACTIVE, {
        status,
        finishedAt: new Date(),
        ...(error ? { error } : status === OperationStatus.SUCCEEDED ? { error: Prisma.DbNull } : {}),
        ...(task ? { steps: task.events as Prisma.InputJsonValue } : {}),
      });
      if (!moved) return false;
      await this.repo.releaseLock(db, op.id);
      if (task && status !== OperationStatus.SUCCEEDED)
        await this.tasks.expire(db, task.id, `Operation ${status}`);
      const cluster = await db.cluster.findUnique({ where: { id: op.clusterId }, select: { name: true } });
      const clusterName = cluster?.name ?? op.clusterId;
      if (status === OperationStatus.SUCCEEDED) {
        if (op.kind === OperationKind.INSTALL && params.identity)
          await db.cluster.update({
            where: { id: op.clusterId },
            data: { identityDomainId: params.identity.identityDomainId },
          });
        if (op.kind === OperationKind.UNINSTALL)
          await db.cluster.update({ where: { id: op.clusterId }, data: { identityDomainId: null } });
        await recordDomainEvent(db, op.organizationId, 'operation.succeeded', op.clusterId, {
          operationId: op.id,
          kind: op.kind,
          clusterName,
        });
      } else if (status === OperationStatus.CANCELLED) {
        await recordDomainEvent(db, op.organizationId, 'operation.cancelled', op.clusterId, {
          operationId: op.id,
          kind: op.kind,
          clusterName,
        });
      } else {
        const reason = (error as { message?: string } | null)?.message ?? status;
        await recordDomainEvent(db, op.organizationId, 'operation.failed', op.clusterId, {
          operationId: op.id,
          kind: op.kind,
          clusterName,
          status,
          reason,
        });
      }
      return true;
    });
    if (finished) {
      this.log.log(`operation ${op.id} (${op.kind}) ${status}`);
      await this.notify({ ...op, status });
    }
  }
}

class RaceLost extends Error {}
