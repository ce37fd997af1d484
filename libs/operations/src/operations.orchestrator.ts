import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { isTransientFailure, taskError, TaskEvent, TaskEnvelope } from '@meshfleet/agent-protocol';
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
import { recordDomainEventBatch } from '@meshfleet/events';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { LiveUpdates } from '@meshfleet/redis';
import { ACTIVE, OperationsRepository } from './operations.repository';
import type { OperationParams } from './operations.service';

const TASK_KIND: Record<OperationKind, TaskEnvelope['kind']> = {
  INSTALL: 'LINKERD_INSTALL',
  UPGRADE: 'LINKERD_UPGRADE',
  UNINSTALL: 'LINKERD_UNINSTALL',
  ROTATE_ISSUER: 'ROTATE_ISSUER',
  RESTART_DATA_PLANE: 'RESTART_DATA_PLANE',
};

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

  private notify(op: Pick<Operation, 'id' | 'clusterId' | 'organizationId' | 'status'>): Promise<void> {
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
    if (op) await this.dispatchMany([op]);
  }

  /**
   * Creates the agent tasks of queued operations and moves them to DISPATCHED in one transaction
   * of a few statements however many there are (a rollout wave), then wakes their agents. An
   * operation another handler moved first keeps what that handler did; its task here is dropped.
   */
  async dispatchMany(ops: Operation[]): Promise<void> {
    const queued = ops.filter((op) => op.status === OperationStatus.QUEUED);
    for (const op of queued.filter((o) => o.cancelRequestedAt))
      await this.finish(op, OperationStatus.CANCELLED, null);
    const todo = queued.filter((o) => !o.cancelRequestedAt);
    if (!todo.length) return;
    const anchors = new Map<string, Promise<string | undefined>>();
    const tasks = await Promise.all(
      todo.map(async (op) => ({ op, taskId: randomUUID(), params: await this.taskParams(op, anchors) })),
    );
    const at = new Date();
    const dispatched = await this.prisma.$transaction(async (db) => {
      await db.agentTask.createMany({
        data: tasks.map(({ op, taskId, params }) => ({
          id: taskId,
          organizationId: op.organizationId,
          clusterId: op.clusterId,
          kind: TASK_KIND[op.kind],
          params: params as Prisma.InputJsonValue,
          requestedBy: op.requestedBy,
          deadlineAt: op.deadlineAt,
        })),
      });
      const moved = await db.$queryRaw<{ id: string }[]>`
        UPDATE "Operation" o SET "status" = 'DISPATCHED', "agentTaskId" = v.task, "dispatchedAt" = ${at},
          "updatedAt" = ${at}
        FROM unnest(${tasks.map((t) => t.op.id)}::uuid[], ${tasks.map((t) => t.taskId)}::uuid[]) AS v(id, task)
        WHERE o."id" = v.id AND o."status" = 'QUEUED'
        RETURNING o."id"`;
      const won = new Set(moved.map((m) => m.id));
      const lost = tasks.filter((t) => !won.has(t.op.id)).map((t) => t.taskId);
      if (lost.length) await db.agentTask.deleteMany({ where: { id: { in: lost } } });
      return tasks.filter((t) => won.has(t.op.id)).map((t) => t.op);
    });
    await Promise.all(
      dispatched.map(async (op) => {
        await this.tasks.wake(op.clusterId);
        await this.notify({ ...op, status: OperationStatus.DISPATCHED });
      }),
    );
  }

  /** What the agent task of an operation carries; trust anchors are read once per identity domain. */
  private async taskParams(
    op: Operation,
    anchors: Map<string, Promise<string | undefined>>,
  ): Promise<Record<string, unknown>> {
    const params = op.params as unknown as OperationParams;
    const domainId = params.identity?.identityDomainId;
    if (domainId && !anchors.has(domainId))
      anchors.set(
        domainId,
        this.domains.get(op.organizationId, domainId).then((d) => d.anchorCertPem ?? undefined),
      );
    const trustAnchorsPem = domainId ? await anchors.get(domainId) : undefined;
    return {
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
      ...(op.kind === OperationKind.UPGRADE
        ? {
            restartDataPlane: params.restartDataPlane ?? false,
            allowDowngrade: params.allowDowngrade ?? false,
          }
        : {}),
      ...(op.kind === OperationKind.UNINSTALL ? { force: params.force ?? false } : {}),
      ...(op.kind === OperationKind.RESTART_DATA_PLANE ? { namespaces: params.namespaces ?? [] } : {}),
    };
  }

  /** Mirrors one operation's agent task into it (see syncMany). */
  async sync(op: Operation, now = new Date()): Promise<void> {
    await this.syncMany([op], now);
  }

  /**
   * Mirrors agent tasks into their operations (steps, running, outcome, lease, deadline). The
   * tasks are read in one query and the operations that end finish in one transaction, so a
   * rollout wave's results cost a handful of statements, not a handful per operation.
   */
  async syncMany(ops: Operation[], now = new Date()): Promise<void> {
    const active = ops.filter((op) => ACTIVE.includes(op.status) && op.agentTaskId);
    if (!active.length) return;
    const tasks = new Map(
      (
        await this.prisma.agentTask.findMany({ where: { id: { in: active.map((op) => op.agentTaskId!) } } })
      ).map((t) => [t.id, t]),
    );
    const ends: Ending[] = [];
    for (const op of active) {
      const task = tasks.get(op.agentTaskId!);
      if (!task) continue;
      try {
        const end = await this.syncOne(op, task, now);
        if (end) ends.push(end);
      } catch (e) {
        this.log.warn(`sync of operation ${op.id} failed: ${e instanceof Error ? e.message : 'error'}`);
      }
    }
    await this.finishMany(ends);
  }

  /** One operation against its task; returns how the operation ends, or null while it goes on. */
  private async syncOne(op: Operation, task: AgentTask, now: Date): Promise<Ending | null> {
    const events = (task.events as unknown as TaskEvent[]) ?? [];
    const steps = events as unknown as Prisma.InputJsonValue;
    const from = [OperationStatus.DISPATCHED, OperationStatus.RUNNING];
    const deadline = taskError('DEADLINE', 'The operation passed its deadline');
    switch (task.status) {
      case AgentTaskStatus.SUCCEEDED:
        return { op, status: OperationStatus.SUCCEEDED, error: null, task };
      case AgentTaskStatus.FAILED: {
        const code = (task.error as { code?: string } | null)?.code ?? '';
        if (isTransientFailure(code) && (await this.retry(op, task, now))) return null;
        return {
          op,
          status: OperationStatus.FAILED,
          error: (task.error ?? null) as Prisma.InputJsonValue,
          task,
        };
      }
      case AgentTaskStatus.EXPIRED: {
        const status = op.cancelRequestedAt ? OperationStatus.CANCELLED : OperationStatus.TIMED_OUT;
        return { op, status, error: deadline, task };
      }
    }
    if (now > op.deadlineAt) return { op, status: OperationStatus.TIMED_OUT, error: deadline, task };
    const lastEvent = events.at(-1);
    if (
      task.status === AgentTaskStatus.RUNNING &&
      lastEvent &&
      now.getTime() - Date.parse(lastEvent.at) > this.config.operationLeaseSeconds * 1000
    ) {
      // The agent died or lost its way mid-task: a new attempt resumes when it is back.
      await this.tasks.expire(this.prisma, task.id, 'Lease expired: the agent stopped reporting progress');
      if (await this.retry(op, task, now)) return null;
      return {
        op,
        status: OperationStatus.TIMED_OUT,
        error: taskError('LEASE_EXPIRED', 'The agent stopped reporting progress'),
        task,
      };
    }
    const running = task.status === AgentTaskStatus.RUNNING;
    const changed =
      running !== (op.status === OperationStatus.RUNNING) ||
      JSON.stringify(op.steps) !== JSON.stringify(events);
    if (!changed) return null;
    await this.repo.transition(this.prisma, op.id, from, {
      steps,
      ...(running ? { status: OperationStatus.RUNNING, startedAt: op.startedAt ?? now } : {}),
    });
    await this.notify(op);
    return null;
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
        error: taskError(
          'RETRYING',
          `Attempt ${op.attempt} failed: ${(task.error as { message?: string } | null)?.message ?? 'lease expired'}`,
        ),
      });
    });
    if (retried) {
      this.log.log(`operation ${op.id} attempt ${op.attempt + 1}`);
      await this.tasks.wake(op.clusterId);
      await this.notify(op);
    }
    return retried;
  }

  /**
   * After agents' calls on tasks (the API's listener batches them). The usual case, a step event
   * of a running task within its deadline, is one statement for the whole batch copying the steps
   * into the operations; the rest (results, expired tasks, passed deadlines, nothing new) is synced
   * in full.
   */
  async syncTasks(taskIds: string[], now = new Date()): Promise<void> {
    if (!taskIds.length) return;
    const mirrored = await this.repo.mirrorRunningTasks(taskIds, now);
    await Promise.all(mirrored.map((m) => this.notify(m)));
    const done = new Set(mirrored.map((m) => m.agentTaskId));
    const rest = taskIds.filter((id) => !done.has(id));
    if (rest.length) await this.syncMany(await this.repo.byTasks(rest), now);
  }

  /** Cancel: queued ones end at once; dispatched ones stop the task, which ends the agent at its next step. */
  async cancel(op: Operation, by: string): Promise<void> {
    await this.prisma.operation.updateMany({
      where: { id: op.id, cancelRequestedAt: null },
      data: { cancelRequestedAt: new Date() },
    });
    if (op.status === OperationStatus.QUEUED || !op.agentTaskId)
      return this.finish(
        { ...op, cancelRequestedAt: new Date() },
        OperationStatus.CANCELLED,
        taskError('CANCELLED', `Cancelled by ${by}`),
      );
    await this.tasks.expire(this.prisma, op.agentTaskId, `Cancelled by ${by}`);
    await this.finish(
      { ...op, cancelRequestedAt: new Date() },
      OperationStatus.CANCELLED,
      taskError('CANCELLED', `Cancelled by ${by}`),
    );
  }

  /** Re-derives everything unfinished from Postgres (after a worker restart or a Redis flush). */
  async reconcile(
    enqueueDispatch: (operationId: string) => Promise<void>,
    now = new Date(),
  ): Promise<number> {
    const ops = await this.repo.unfinished(500);
    for (const op of ops) {
      if (op.status !== OperationStatus.QUEUED) continue;
      if (now > op.deadlineAt)
        await this.finish(
          op,
          OperationStatus.TIMED_OUT,
          taskError('DEADLINE', 'Never dispatched before its deadline'),
        );
      else await enqueueDispatch(op.id);
    }
    await this.syncMany(
      ops.filter((op) => op.status !== OperationStatus.QUEUED),
      now,
    );
    return ops.length;
  }

  private finish(
    op: Operation,
    status: OperationStatus,
    error: Prisma.InputJsonValue | null,
    task?: AgentTask,
  ): Promise<void> {
    return this.finishMany([{ op, status, error, task }]);
  }

  /**
   * Ends operations in one transaction: each moves only if still active (a racing handler's end
   * stands), releases its cluster lock, stops its task unless it succeeded, and records its
   * domain event.
   */
  private async finishMany(ends: Ending[]): Promise<void> {
    if (!ends.length) return;
    const at = new Date();
    const finished = await this.prisma.$transaction(async (db) => {
      const moved = new Set(
        await this.repo.finishMany(
          db,
          ends.map(({ op, status, error, task }) => ({
            id: op.id,
            status,
            // A success clears the "retrying" note of an earlier attempt.
            setError: error !== null || status === OperationStatus.SUCCEEDED,
            error,
            steps: task ? (task.events as Prisma.InputJsonValue) : null,
          })),
          at,
        ),
      );
      const done = ends.filter((e) => moved.has(e.op.id));
      if (!done.length) return [];
      await this.repo.releaseLocks(
        db,
        done.map((e) => e.op.id),
      );
      for (const { task, status } of done)
        if (task && status !== OperationStatus.SUCCEEDED)
          await this.tasks.expire(db, task.id, `Operation ${status}`);
      const names = await this.repo.clusterNames(
        db,
        done.map((e) => e.op.clusterId),
      );
      for (const { op, status } of done) {
        const params = op.params as unknown as OperationParams;
        if (status !== OperationStatus.SUCCEEDED) continue;
        if (op.kind === OperationKind.INSTALL && params.identity)
          await db.cluster.update({
            where: { id: op.clusterId },
            data: { identityDomainId: params.identity.identityDomainId },
          });
        if (op.kind === OperationKind.UNINSTALL)
          await db.cluster.update({ where: { id: op.clusterId }, data: { identityDomainId: null } });
      }
      await recordDomainEventBatch(
        db,
        done.map(({ op, status, error }) => {
          const base = {
            operationId: op.id,
            kind: op.kind,
            clusterName: names.get(op.clusterId) ?? op.clusterId,
          };
          const event = { organizationId: op.organizationId, clusterId: op.clusterId };
          if (status === OperationStatus.SUCCEEDED)
            return { ...event, type: 'operation.succeeded' as const, payload: base };
          if (status === OperationStatus.CANCELLED)
            return { ...event, type: 'operation.cancelled' as const, payload: base };
          const reason = (error as { message?: string } | null)?.message ?? status;
          return { ...event, type: 'operation.failed' as const, payload: { ...base, status, reason } };
        }),
      );
      return done;
    });
    for (const { op, status } of finished) {
      this.log.log(`operation ${op.id} (${op.kind}) ${status}`);
      await this.notify({ ...op, status });
    }
  }
}

/** How an operation ends: its final status and error, and the task whose steps it keeps. */
interface Ending {
  op: Operation;
  status: OperationStatus;
  error: Prisma.InputJsonValue | null;
  task?: AgentTask;
}
