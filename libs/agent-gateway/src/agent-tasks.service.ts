import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  parseMessage,
  taskError,
  TaskEnvelope,
  TaskEnvelopeSchema,
  TaskEvent,
  TaskResult,
} from '@meshfleet/agent-protocol';
import { ConflictError, isUuid, KeyedBatcher, NotFoundError, ValidationError } from '@meshfleet/core';
import { AgentPrincipal } from '@meshfleet/auth';
import { AgentTask, AgentTaskStatus, Db, Prisma, PrismaService } from '@meshfleet/db';
import { TaskUpdates } from '@meshfleet/events';
import { AgentWakeupService } from './agent-wakeup.service';

const MAX_EVENTS = 200;

/** Event batches in flight at once, and most events in one. */
const EVENT_CONCURRENCY = 2;
const MAX_EVENT_BATCH = 200;

interface EventToRecord {
  taskId: string;
  clusterId: string;
  event: TaskEvent;
}

// One row per task (the batcher never puts two events of a task in one batch, so each event sees
// the one before it). Trims to the last MAX_EVENTS and moves DISPATCHED to RUNNING, as the checked
// path does; returns the tasks that took their event.
const RECORD_EVENTS = `
UPDATE "AgentTask" t SET
  "events" = (CASE WHEN jsonb_array_length(t."events") >= ${MAX_EVENTS}
    THEN (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]'::jsonb)
          FROM jsonb_array_elements(t."events") WITH ORDINALITY AS x(e, i)
          WHERE i > jsonb_array_length(t."events") - ${MAX_EVENTS - 1})
    ELSE t."events" END) || jsonb_build_array(v.event),
  "status" = CASE WHEN t."status" = 'DISPATCHED' THEN 'RUNNING'::"AgentTaskStatus" ELSE t."status" END
FROM jsonb_to_recordset($1::jsonb) AS v("taskId" uuid, "clusterId" uuid, event jsonb)
WHERE t."id" = v."taskId" AND t."clusterId" = v."clusterId"
  AND t."status" NOT IN ('EXPIRED', 'SUCCEEDED', 'FAILED')
RETURNING t."id"::text AS id`;

interface ResultToRecord {
  taskId: string;
  clusterId: string;
  status: 'SUCCEEDED' | 'FAILED';
  finishedAt: string; // UTC ISO (the column holds UTC)
  output: unknown;
  error: unknown;
}

// The results of many open tasks in one statement, as resultData sets them one at a time.
const RECORD_RESULTS = `
UPDATE "AgentTask" t SET
  "status" = v.status::"AgentTaskStatus",
  "finishedAt" = v."finishedAt",
  "output" = CASE WHEN v.status = 'SUCCEEDED' THEN v.output ELSE t."output" END,
  "error" = CASE WHEN v.status = 'FAILED' THEN v.error ELSE t."error" END
FROM jsonb_to_recordset($1::jsonb)
  AS v("taskId" uuid, "clusterId" uuid, status text, "finishedAt" timestamp(3), output jsonb, error jsonb)
WHERE t."id" = v."taskId" AND t."clusterId" = v."clusterId"
  AND t."status" IN ('QUEUED', 'DISPATCHED', 'RUNNING')
RETURNING t."id"::text AS id`;

/** The columns a result sets. */
function resultData(result: TaskResult): Prisma.AgentTaskUpdateManyMutationInput {
  return {
    status: result.status === 'succeeded' ? AgentTaskStatus.SUCCEEDED : AgentTaskStatus.FAILED,
    finishedAt: new Date(result.finishedAt),
    output: result.status === 'succeeded' ? ((result.output ?? null) as Prisma.InputJsonValue) : undefined,
    error: result.status === 'failed' ? (result.error as Prisma.InputJsonValue) : undefined,
  };
}

/** What is wrong with an envelope, as the agent would find it; null when it is valid. */
function envelopeIssues(envelope: unknown): string | null {
  const r = parseMessage(TaskEnvelopeSchema, envelope);
  return r.ok ? null : r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

/** A new task's kind and params, checked before anything is written (its id and times are ours). */
function assertValidTask(task: { kind: string; params: unknown }): void {
  const now = new Date().toISOString();
  const issues = envelopeIssues({ id: randomUUID(), issuedAt: now, kind: task.kind, params: task.params });
  if (issues) throw new ValidationError(`Invalid ${task.kind} task: ${issues}`, 'params');
}

export interface NewTask {
  organizationId: string;
  clusterId: string;
  kind: TaskEnvelope['kind'];
  params: Record<string, unknown>;
  requestedBy: string;
  ttlSeconds: number;
}

/** Tasks live in Postgres; Redis only wakes the agent's long-poll. */
@Injectable()
export class AgentTasksService {
  private readonly log = new Logger(AgentTasksService.name);
  /**
   * Task step events, keyed by task so that each task's events are appended in order. A failed
   * batch (e.g. a deadlock with another multi-row writer) is retried one event per statement.
   */
  private readonly events = this.batched<EventToRecord>(RECORD_EVENTS);
  /** Task results, coalesced the same way (a rollout wave's agents finish together). */
  private readonly results = this.batched<ResultToRecord>(RECORD_RESULTS);

  constructor(
    private readonly prisma: PrismaService,
    private readonly wakeup: AgentWakeupService,
    private readonly updates: TaskUpdates,
  ) {}

  /** A batcher of per-task rows for one statement over jsonb_to_recordset($1) returning the ids it changed. */
  private batched<T extends { taskId: string }>(sql: string): KeyedBatcher<T> {
    return new KeyedBatcher<T>({
      key: (row) => row.taskId,
      maxBatch: MAX_EVENT_BATCH,
      concurrency: EVENT_CONCURRENCY,
      run: async (batch) => {
        const rows = await this.prisma.$queryRawUnsafe<{ id: string }[]>(sql, JSON.stringify(batch));
        return new Set(rows.map((r) => r.id));
      },
    });
  }

  /** Creates a task inside the caller's transaction; call wake(clusterId) after it commits. */
  createIn(db: Db, task: NewTask & { deadlineAt?: Date }): Promise<AgentTask> {
    assertValidTask(task);
    return db.agentTask.create({
      data: {
        organizationId: task.organizationId,
        clusterId: task.clusterId,
        kind: task.kind,
        params: task.params as Prisma.InputJsonValue,
        requestedBy: task.requestedBy,
        deadlineAt: task.deadlineAt ?? new Date(Date.now() + task.ttlSeconds * 1000),
      },
    });
  }

  wake(clusterId: string): Promise<void> {
    return this.wakeup.wake(clusterId);
  }

  async create(task: NewTask): Promise<AgentTask> {
    assertValidTask(task);
    const row = await this.prisma.agentTask.create({
      data: {
        organizationId: task.organizationId,
        clusterId: task.clusterId,
        kind: task.kind,
        params: task.params as Prisma.InputJsonValue,
        requestedBy: task.requestedBy,
        deadlineAt: new Date(Date.now() + task.ttlSeconds * 1000),
      },
    });
    await this.wakeup.wake(task.clusterId);
    return row;
  }

  async get(organizationId: string, id: string): Promise<AgentTask> {
    const task = isUuid(id) ? await this.prisma.agentTask.findFirst({ where: { id, organizationId } }) : null;
    if (!task) throw new NotFoundError('Task', id);
    return task;
  }

  /**
   * Claims the oldest queued task of the cluster; concurrent polls never get the same one. The
   * envelope is validated as the agent will validate it: one that fails is never handed out, its
   * task fails with INVALID_TASK (the operation shows why) and the next one is claimed.
   */
  async claimNext(clusterId: string): Promise<TaskEnvelope | null> {
    for (;;) {
      const rows = await this.prisma.$queryRaw<AgentTask[]>`
        UPDATE "AgentTask" SET "status" = 'DISPATCHED', "dispatchedAt" = now()
        WHERE "id" = (
          SELECT "id" FROM "AgentTask"
          WHERE "clusterId" = ${clusterId}::uuid AND "status" = 'QUEUED' AND "deadlineAt" > now()
          ORDER BY "createdAt" ASC LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`;
      const t = rows[0];
      if (!t) return null;
      // Sent as stored: the agent applies the schema's defaults itself.
      const envelope = {
        id: t.id,
        kind: t.kind,
        params: t.params,
        issuedAt: t.createdAt.toISOString(),
        deadlineAt: t.deadlineAt.toISOString(),
        attempt: t.attempt,
      };
      const issues = envelopeIssues(envelope);
      if (!issues) return envelope as TaskEnvelope;
      await this.failInvalid(t, issues);
    }
  }

  private async failInvalid(t: AgentTask, issues: string): Promise<void> {
    this.log.error(`task ${t.id} (${t.kind}) is not a valid envelope and was failed: ${issues}`);
    await this.prisma.agentTask.updateMany({
      where: { id: t.id, status: AgentTaskStatus.DISPATCHED },
      data: {
        status: AgentTaskStatus.FAILED,
        finishedAt: new Date(),
        error: taskError('INVALID_TASK', `Not a valid ${t.kind} task: ${issues}`.slice(0, 4000)),
      },
    });
    this.updates.emit(t.id);
  }

  /** Waits up to waitMs for a task, returning as soon as one is queued for this cluster. */
  async poll(clusterId: string, waitMs: number, signal: AbortSignal): Promise<TaskEnvelope | null> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const waiter = await this.wakeup.prepare(clusterId);
      try {
        const task = await this.claimNext(clusterId);
        if (task) return task;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal.aborted) return null;
        const woken = await waiter.wait(remaining, signal);
        if (!woken) return null;
      } finally {
        waiter.cancel();
      }
    }
  }

  /** Only the columns events and results need (not the params or output JSON). */
  private async own(
    agent: AgentPrincipal,
    taskId: string,
  ): Promise<Pick<AgentTask, 'id' | 'status' | 'events'>> {
    const task = isUuid(taskId)
      ? await this.prisma.agentTask.findFirst({
          where: { id: taskId, clusterId: agent.clusterId },
          select: { id: true, status: true, events: true },
        })
      : null;
    if (!task) throw new NotFoundError('Task', taskId);
    return task;
  }

  /**
   * Concurrent events are coalesced into one statement (the agent's own task, still open): it
   * appends each event, keeping the last MAX_EVENTS, and moves DISPATCHED to RUNNING. An event whose
   * row did not match takes the checked path below, which says why (404, 409) exactly as before.
   */
  async recordEvent(agent: AgentPrincipal, taskId: string, event: TaskEvent): Promise<void> {
    if (isUuid(taskId)) {
      const id = taskId.toLowerCase(); // as Postgres returns it
      if (await this.events.submit({ taskId: id, clusterId: agent.clusterId, event }))
        return this.updates.emit(id);
    }
    return this.recordEventChecked(agent, taskId, event);
  }

  private async recordEventChecked(agent: AgentPrincipal, taskId: string, event: TaskEvent): Promise<void> {
    const task = await this.own(agent, taskId);
    if (task.status === AgentTaskStatus.EXPIRED)
      throw new ConflictError(`Task ${taskId} was cancelled or passed its deadline: stop at this step`);
    if (task.status === AgentTaskStatus.SUCCEEDED || task.status === AgentTaskStatus.FAILED)
      throw new ConflictError(`Task ${taskId} is already finished`);
    const events = (task.events as unknown as TaskEvent[]).slice(-(MAX_EVENTS - 1));
    await this.prisma.agentTask.update({
      where: { id: task.id },
      data: {
        events: [...events, event] as unknown as Prisma.InputJsonValue,
        status: task.status === AgentTaskStatus.DISPATCHED ? AgentTaskStatus.RUNNING : task.status,
      },
      select: { id: true }, // the row is not needed back
    });
    this.updates.emit(task.id);
  }

  /**
   * Idempotent for the same outcome; a different outcome for a finished task is a conflict.
   * In the usual case (the agent's own task, still open) concurrent results share one statement;
   * one that matches no row (unknown task, already finished, expired) takes the checks below, which
   * say why exactly as before.
   */
  async recordResult(agent: AgentPrincipal, taskId: string, result: TaskResult): Promise<void> {
    if (isUuid(taskId)) {
      const id = taskId.toLowerCase(); // as Postgres returns it
      const recorded = await this.results.submit({
        taskId: id,
        clusterId: agent.clusterId,
        status: result.status === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
        finishedAt: new Date(result.finishedAt).toISOString(),
        output: result.status === 'succeeded' ? (result.output ?? null) : null,
        error: result.status === 'failed' ? result.error : null,
      });
      if (recorded) return this.updates.emit(id);
    }
    const task = await this.own(agent, taskId);
    const status = result.status === 'succeeded' ? AgentTaskStatus.SUCCEEDED : AgentTaskStatus.FAILED;
    if (task.status === status) return;
    if (task.status === AgentTaskStatus.EXPIRED)
      throw new ConflictError(`Task ${taskId} was cancelled or passed its deadline`);
    if (task.status === AgentTaskStatus.SUCCEEDED || task.status === AgentTaskStatus.FAILED)
      throw new ConflictError(`Task ${taskId} already finished as ${task.status}`);
    await this.prisma.agentTask.update({
      where: { id: task.id },
      data: resultData(result),
      select: { id: true }, // the row is not needed back
    });
    this.updates.emit(task.id);
  }

  /** Stops a task (operation cancelled or timed out): the agent's next event gets 409. */
  async expire(db: Db, taskId: string, reason: string): Promise<void> {
    await db.agentTask.updateMany({
      where: {
        id: taskId,
        status: { in: [AgentTaskStatus.QUEUED, AgentTaskStatus.DISPATCHED, AgentTaskStatus.RUNNING] },
      },
      data: {
        status: AgentTaskStatus.EXPIRED,
        finishedAt: new Date(),
        error: taskError('STOPPED', reason),
      },
    });
  }

  /** Queued or running tasks past their deadline become EXPIRED (run by the worker's sweep). */
  async expireOverdue(now = new Date()): Promise<number> {
    const res = await this.prisma.agentTask.updateMany({
      where: {
        status: { in: [AgentTaskStatus.QUEUED, AgentTaskStatus.DISPATCHED, AgentTaskStatus.RUNNING] },
        deadlineAt: { lt: now },
      },
      data: { status: AgentTaskStatus.EXPIRED, finishedAt: now },
    });
    return res.count;
  }
}
