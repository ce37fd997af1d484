/**
 * The operations aggregate, and the only code that writes its tables.
 *
 *   Operation ─┬─ ClusterOperationLock   (lifecycle kinds: one active operation per cluster)
 *              └─ OperationAttempt 1..n  (one try by the agent; its id is the /agent/v1 task id)
 *                   └─ OperationStep 0..n (what the agent reported: appended, never updated)
 *
 * Operation.status is the state users see (QUEUED → DISPATCHED → RUNNING → an end); an attempt's
 * status is the agent's side of the current try (QUEUED → DISPATCHED when claimed → RUNNING →
 * SUCCEEDED | FAILED, or EXPIRED when the API stops it). Both move together: a step event moves
 * attempt and operation in one statement, a result ends (or retries) the operation in the
 * transaction that records it, and every other transition (dispatch, retry, cancel, deadline,
 * lease) writes both in one transaction. Operation.attempt is the number of the current attempt,
 * whose steps are the operation's steps. Direct diagnostics are operations of their own kind
 * (see operation-kinds.ts), so tasks have one state machine whatever asked for them.
 *
 * Hot paths stay one statement each, over a batch: claiming the next attempts, appending step
 * events, recording results.
 */
import { Injectable } from '@nestjs/common';
import { ConflictError, isUuid, newestFirstPage, NotFoundError, Page } from '@meshfleet/core';
import {
  AttemptStatus,
  Cluster,
  Db,
  isUniqueViolation,
  Operation,
  OperationAttempt,
  OperationKind,
  OperationStatus,
  Prisma,
  PrismaService,
} from '@meshfleet/db';
import { LIFECYCLE_KINDS } from './operation-kinds';

export const ACTIVE: OperationStatus[] = [
  OperationStatus.QUEUED,
  OperationStatus.DISPATCHED,
  OperationStatus.RUNNING,
];

export const OPEN_ATTEMPT: AttemptStatus[] = [
  AttemptStatus.QUEUED,
  AttemptStatus.DISPATCHED,
  AttemptStatus.RUNNING,
];

/** The most steps of an attempt that are shown (older ones stay stored). */
export const MAX_STEPS = 200;

export interface OperationFilter {
  clusterId?: string | null;
  status?: OperationStatus | null;
  kind?: OperationKind | null;
}

/** A step as users and the rollout gate read it. */
export interface StepRecord {
  step: string;
  status: string;
  message: string;
  at: string; // ISO
}

/** An operation with the steps of its current attempt. */
/** A JSON value as this repository stores it (errors, outputs). */
export type StoredJson = Prisma.InputJsonValue;

export type OperationWithSteps = Operation & { steps: StepRecord[] };

/** An attempt with what its readers need of its operation, and its steps. */
export type AttemptWithSteps = OperationAttempt & {
  requestedBy: string;
  operationKind: OperationKind;
  steps: StepRecord[];
};

/** An attempt as the orchestrator judges it: when did its agent last report? */
export type AttemptState = Pick<
  OperationAttempt,
  'id' | 'operationId' | 'number' | 'kind' | 'params' | 'status' | 'error'
> & { lastStepAt: Date | null };

/** A step event for the batched append. */
export interface StepToAppend {
  taskId: string;
  clusterId: string;
  step: string;
  status: string;
  message: string;
  at: string;
}

/** What an appended step changed, enough to notify subscribers. */
export interface AppendedStep {
  taskId: string;
  operationId: string;
  organizationId: string;
  clusterId: string;
  kind: OperationKind;
  status: OperationStatus;
}

/** A result for the batched record. */
export interface ResultToRecord {
  taskId: string;
  clusterId: string;
  status: 'SUCCEEDED' | 'FAILED';
  finishedAt: string; // UTC ISO (the column holds UTC)
  output: unknown;
  error: unknown;
}

/** A claimed attempt: its envelope fields. */
export type ClaimedAttempt = Pick<
  OperationAttempt,
  'id' | 'operationId' | 'kind' | 'params' | 'createdAt' | 'deadlineAt' | 'number' | 'clusterId'
>;

/** A new operation. */
export interface NewOperation {
  organizationId: string;
  clusterId: string;
  kind: OperationKind;
  params: object;
  requestedBy: string;
  deadlineAt: Date;
}

/** A new attempt of an operation. */
export interface NewAttempt {
  id: string;
  operationId: string;
  number: number;
  clusterId: string;
  kind: string;
  params: object;
  deadlineAt: Date;
}

const json = (v: object) => v as Prisma.InputJsonValue;

// Each row one attempt's event (the caller never puts two events of an attempt in one batch, so
// each sees the one before it). The attempt must be open; DISPATCHED becomes RUNNING and so does
// its operation (within its deadline). Returns the attempts that took their step.
const APPEND_STEPS = `
WITH v AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS v("taskId" uuid, "clusterId" uuid, step text, status text, message text, at timestamptz)
), a AS (
  UPDATE "OperationAttempt" a SET
    "status" = CASE WHEN a."status" = 'DISPATCHED' THEN 'RUNNING'::"AttemptStatus" ELSE a."status" END
  FROM v
  WHERE a."id" = v."taskId" AND a."clusterId" = v."clusterId"
    AND a."status" IN ('QUEUED', 'DISPATCHED', 'RUNNING')
  RETURNING a."id", a."operationId", a."status"
), s AS (
  INSERT INTO "OperationStep" ("attemptId", "step", "status", "message", "at")
  SELECT a."id", v.step, v.status, v.message, v.at AT TIME ZONE 'UTC' FROM a JOIN v ON v."taskId" = a."id"
), o AS (
  UPDATE "Operation" o SET "status" = 'RUNNING',
    "startedAt" = coalesce(o."startedAt", now() AT TIME ZONE 'UTC'), "updatedAt" = now() AT TIME ZONE 'UTC'
  FROM a
  WHERE o."id" = a."operationId" AND a."status" = 'RUNNING' AND o."status" = 'DISPATCHED'
    AND o."deadlineAt" > now() AT TIME ZONE 'UTC'
  RETURNING o."id"
)
SELECT a."id"::text AS "taskId", op."id"::text AS "operationId", op."organizationId"::text AS "organizationId",
  op."clusterId"::text AS "clusterId", op."kind"::text AS kind,
  CASE WHEN o."id" IS NULL THEN op."status"::text ELSE 'RUNNING' END AS status
FROM a JOIN "Operation" op ON op."id" = a."operationId" LEFT JOIN o ON o."id" = a."operationId"`;

// The results of many open attempts in one statement.
const RECORD_RESULTS = `
UPDATE "OperationAttempt" a SET
  "status" = v.status::"AttemptStatus",
  "finishedAt" = v."finishedAt",
  "output" = CASE WHEN v.status = 'SUCCEEDED' THEN v.output ELSE a."output" END,
  "error" = CASE WHEN v.status = 'FAILED' THEN v.error ELSE a."error" END
FROM jsonb_to_recordset($1::jsonb)
  AS v("taskId" uuid, "clusterId" uuid, status text, "finishedAt" timestamp(3), output jsonb, error jsonb)
WHERE a."id" = v."taskId" AND a."clusterId" = v."clusterId"
  AND a."status" IN ('QUEUED', 'DISPATCHED', 'RUNNING')
RETURNING a."id"::text AS id, a."operationId"::text AS "operationId"`;

@Injectable()
export class OperationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** The root client for a single write that needs no transaction of its own (an audit record). */
  outsideTransaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this.prisma);
  }

  // ── Creating ────────────────────────────────────────────────────────────────────────────────

  /** Creates the operation and takes the cluster's lock; a second active operation is a CONFLICT. */
  async createLocked(db: Db, data: NewOperation): Promise<Operation> {
    const op = await db.operation.create({ data: { ...data, params: json(data.params) } });
    try {
      await db.clusterOperationLock.create({ data: { clusterId: op.clusterId, operationId: op.id } });
    } catch (e) {
      if (isUniqueViolation(e)) {
        const holder = await this.prisma.clusterOperationLock.findUnique({
          where: { clusterId: op.clusterId },
        });
        throw new ConflictError(
          `Another operation is active on this cluster${holder ? ` (${holder.operationId})` : ''}`,
          { activeOperationId: holder?.operationId ?? null },
        );
      }
      throw e;
    }
    return op;
  }

  /**
   * Creates many operations and takes each cluster's lock; a cluster already locked gets no
   * operation (it is left out of the result, not an error for the batch).
   */
  async createManyLocked(db: Db, rows: (NewOperation & { id: string })[]): Promise<Operation[]> {
    if (!rows.length) return [];
    await db.operation.createMany({ data: rows.map((r) => ({ ...r, params: json(r.params) })) });
    const locked = await db.$queryRaw<{ operationId: string }[]>`
      INSERT INTO "ClusterOperationLock" ("clusterId", "operationId")
      SELECT * FROM unnest(${rows.map((r) => r.clusterId)}::uuid[], ${rows.map((r) => r.id)}::uuid[])
      ON CONFLICT DO NOTHING RETURNING "operationId"`;
    const won = new Set(locked.map((l) => l.operationId));
    const lost = rows.filter((r) => !won.has(r.id)).map((r) => r.id);
    if (lost.length) await db.operation.deleteMany({ where: { id: { in: lost } } });
    return db.operation.findMany({ where: { id: { in: [...won] } } });
  }

  /** An operation dispatched as it is created (no lock, no queue): its first attempt is queued. */
  async createDispatched(
    db: Db,
    data: NewOperation & { id: string },
    attempt: Omit<NewAttempt, 'operationId' | 'number'>,
  ): Promise<OperationAttempt> {
    await db.operation.create({
      data: {
        ...data,
        params: json(data.params),
        status: OperationStatus.DISPATCHED,
        dispatchedAt: new Date(),
      },
      select: { id: true },
    });
    return db.operationAttempt.create({
      data: { ...attempt, params: json(attempt.params), operationId: data.id, number: 1 },
    });
  }

  // ── Reading ─────────────────────────────────────────────────────────────────────────────────

  /** Clusters of an organization with their latest report, for checks over a batch. */
  async clustersWithReports(
    organizationId: string,
    ids: string[],
  ): Promise<{ cluster: Cluster; report: Prisma.JsonValue | null }[]> {
    const rows = await this.prisma.cluster.findMany({
      where: { organizationId, id: { in: ids.filter(isUuid) } },
      include: { health: { select: { report: true } } },
    });
    return rows.map(({ health, ...cluster }) => ({ cluster, report: health?.report ?? null }));
  }

  /** A lifecycle operation of the organization, with its steps. */
  async get(organizationId: string, id: string): Promise<OperationWithSteps> {
    const op = isUuid(id)
      ? await this.prisma.operation.findFirst({
          where: { id, organizationId, kind: { in: LIFECYCLE_KINDS } },
        })
      : null;
    if (!op) throw new NotFoundError('Operation', id);
    return (await this.withSteps([op]))[0]!;
  }

  /** Without its steps (the orchestrator's reads). */
  byIdPlain(id: string): Promise<Operation | null> {
    return this.prisma.operation.findUnique({ where: { id } });
  }

  /** Operations per status across every organization (a metric of the whole deployment). */
  async countByStatus(): Promise<Map<OperationStatus, number>> {
    const rows = await this.prisma.operation.groupBy({ by: ['status'], _count: { _all: true } });
    return new Map(rows.map((r) => [r.status, r._count._all]));
  }

  async byId(id: string): Promise<OperationWithSteps | null> {
    const op = await this.byIdPlain(id);
    return op ? (await this.withSteps([op]))[0]! : null;
  }

  async byIds(ids: string[]): Promise<OperationWithSteps[]> {
    if (!ids.length) return [];
    return this.withSteps(await this.prisma.operation.findMany({ where: { id: { in: ids } } }));
  }

  /** Operations read in the caller's transaction (after it changed their attempts). */
  byIdsIn(db: Db, ids: string[]): Promise<Operation[]> {
    if (!ids.length) return Promise.resolve([]);
    return db.operation.findMany({ where: { id: { in: ids } } });
  }

  unfinished(limit: number): Promise<Operation[]> {
    return this.prisma.operation.findMany({
      where: { status: { in: ACTIVE } },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  async list(
    organizationId: string,
    f: OperationFilter,
    first: number,
    after: string | null,
  ): Promise<Page<OperationWithSteps>> {
    const where: Prisma.OperationWhereInput = {
      organizationId,
      kind: f.kind ? f.kind : { in: LIFECYCLE_KINDS },
      ...(f.clusterId
        ? { clusterId: isUuid(f.clusterId) ? f.clusterId : '00000000-0000-0000-0000-000000000000' }
        : {}),
      ...(f.status ? { status: f.status } : {}),
    };
    const page = await newestFirstPage<Operation, Prisma.OperationWhereInput>({
      where,
      first,
      after,
      timeField: 'createdAt',
      time: (o) => o.createdAt,
      findMany: (a) => this.prisma.operation.findMany(a),
      count: (a) => this.prisma.operation.count(a),
    });
    const ops = await this.withSteps(page.items);
    return { ...page, items: ops };
  }

  /** The operations with the last MAX_STEPS steps of their current attempts, in one query. */
  private async withSteps(ops: Operation[]): Promise<OperationWithSteps[]> {
    if (!ops.length) return [];
    const rows = await this.prisma.$queryRaw<(StepRecord & { operationId: string; at: Date })[]>`
      SELECT a."operationId"::text AS "operationId", s."step", s."status", s."message", s."at"
      FROM "Operation" o
      JOIN "OperationAttempt" a ON a."operationId" = o."id" AND a."number" = o."attempt"
      CROSS JOIN LATERAL (
        SELECT * FROM "OperationStep" s WHERE s."attemptId" = a."id" ORDER BY s."seq" DESC LIMIT ${MAX_STEPS}
      ) s
      WHERE o."id" = ANY(${ops.map((o) => o.id)}::uuid[])
      ORDER BY a."operationId", s."seq"`;
    const steps = new Map<string, StepRecord[]>();
    for (const { operationId, at, ...s } of rows)
      steps.set(operationId, [...(steps.get(operationId) ?? []), { ...s, at: at.toISOString() }]);
    return ops.map((o) => ({ ...o, steps: steps.get(o.id) ?? [] }));
  }

  /** An attempt of the organization (the agentTask query), with its steps. */
  async attempt(organizationId: string, id: string): Promise<AttemptWithSteps> {
    const a = isUuid(id)
      ? await this.prisma.operationAttempt.findFirst({
          where: { id, operation: { organizationId } },
          include: { operation: { select: { requestedBy: true, kind: true } } },
        })
      : null;
    if (!a) throw new NotFoundError('Task', id);
    const { operation, ...attempt } = a;
    const steps = await this.prisma.$queryRaw<(StepRecord & { at: Date })[]>`
      SELECT * FROM (
        SELECT "seq", "step", "status", "message", "at" FROM "OperationStep"
        WHERE "attemptId" = ${a.id}::uuid ORDER BY "seq" DESC LIMIT ${MAX_STEPS}) s
      ORDER BY "seq"`;
    return {
      ...attempt,
      requestedBy: operation.requestedBy,
      operationKind: operation.kind,
      steps: steps.map((s) => ({
        step: s.step,
        status: s.status,
        message: s.message,
        at: s.at.toISOString(),
      })),
    };
  }

  /** An attempt of the agent's own cluster, with its operation (signing, checked event paths). */
  agentAttempt(
    organizationId: string,
    clusterId: string,
    id: string,
  ): Promise<(OperationAttempt & { operation: Operation }) | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.prisma.operationAttempt.findFirst({
      where: { id, clusterId, operation: { organizationId } },
      include: { operation: true },
    });
  }

  /** The current attempts of operations, with when their agents last reported a step. */
  async currentAttempts(db: Db, operationIds: string[]): Promise<Map<string, AttemptState>> {
    if (!operationIds.length) return new Map();
    const rows = await db.$queryRaw<AttemptState[]>`
      SELECT a."id", a."operationId", a."number", a."kind", a."params", a."status"::text AS status,
        a."error", (SELECT s."at" FROM "OperationStep" s WHERE s."attemptId" = a."id"
          ORDER BY s."seq" DESC LIMIT 1) AS "lastStepAt"
      FROM "Operation" o JOIN "OperationAttempt" a ON a."operationId" = o."id" AND a."number" = o."attempt"
      WHERE o."id" = ANY(${operationIds}::uuid[])`;
    return new Map(rows.map((r) => [r.operationId, r]));
  }

  // ── The agent's side ────────────────────────────────────────────────────────────────────────

  /**
   * Claims each cluster's oldest queued attempt, for many clusters in one statement (a wave's
   * agents are woken together); concurrent polls never get the same one. Keyed by cluster.
   */
  async claimNext(clusterIds: string[]): Promise<Map<string, ClaimedAttempt>> {
    if (!clusterIds.length) return new Map();
    const rows = await this.prisma.$queryRaw<ClaimedAttempt[]>`
      WITH pick AS (
        SELECT x."id" FROM unnest(${[...new Set(clusterIds)]}::uuid[]) AS v("clusterId")
        CROSS JOIN LATERAL (
          SELECT "id" FROM "OperationAttempt" a
          WHERE a."clusterId" = v."clusterId" AND a."status" = 'QUEUED' AND a."deadlineAt" > now() AT TIME ZONE 'UTC'
          ORDER BY a."createdAt" ASC LIMIT 1 FOR UPDATE SKIP LOCKED) x)
      UPDATE "OperationAttempt" a SET "status" = 'DISPATCHED', "dispatchedAt" = now() AT TIME ZONE 'UTC'
      FROM pick WHERE a."id" = pick."id" AND a."status" = 'QUEUED'
      RETURNING a."id", a."operationId", a."kind", a."params", a."createdAt", a."deadlineAt", a."number", a."clusterId"`;
    return new Map(rows.map((r) => [r.clusterId, r]));
  }

  /** Appends step events (one per attempt) in one statement; returns what took its step. */
  appendSteps(rows: StepToAppend[]): Promise<AppendedStep[]> {
    return this.prisma.$queryRawUnsafe<AppendedStep[]>(APPEND_STEPS, JSON.stringify(rows));
  }

  /** Records results (one per attempt) on open attempts; returns the attempts that took theirs. */
  recordResults(db: Db, rows: ResultToRecord[]): Promise<{ id: string; operationId: string }[]> {
    return db.$queryRawUnsafe(RECORD_RESULTS, JSON.stringify(rows));
  }

  // ── Transitions ─────────────────────────────────────────────────────────────────────────────

  /**
   * Queued operations get their first attempts and move to DISPATCHED in one transaction; one
   * another handler moved first keeps what that handler did (its attempt here is dropped).
   * Returns the ids that moved.
   */
  dispatchMany(attempts: NewAttempt[], at: Date): Promise<Set<string>> {
    return this.prisma.$transaction((db) => this.dispatchIn(db, attempts, at));
  }

  /** dispatchMany inside the caller's transaction (the one creating the operations, say). */
  async dispatchIn(db: Db, attempts: NewAttempt[], at: Date): Promise<Set<string>> {
    if (!attempts.length) return new Set();
    // A late second dispatch finds the number taken and moves nothing.
    const created = await db.$queryRaw<{ id: string; operationId: string }[]>`
      INSERT INTO "OperationAttempt" ("id", "operationId", "number", "clusterId", "kind", "params", "deadlineAt")
      SELECT v.id, v."operationId", v.number, v."clusterId", v.kind, v.params, v."deadlineAt"
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb)
        AS v(id uuid, "operationId" uuid, number int, "clusterId" uuid, kind text, params jsonb, "deadlineAt" timestamp(3))
      ON CONFLICT ("operationId", "number") DO NOTHING
      RETURNING "id"::text AS id, "operationId"::text AS "operationId"`;
    const moved = await db.$queryRaw<{ id: string }[]>`
      UPDATE "Operation" o SET "status" = 'DISPATCHED', "dispatchedAt" = ${at}, "updatedAt" = ${at}
      WHERE o."id" = ANY(${created.map((c) => c.operationId)}::uuid[]) AND o."status" = 'QUEUED'
      RETURNING o."id"::text AS id`;
    const won = new Set(moved.map((m) => m.id));
    const lost = created.filter((c) => !won.has(c.operationId)).map((c) => c.id);
    if (lost.length) await db.operationAttempt.deleteMany({ where: { id: { in: lost } } });
    return won;
  }

  /** A new attempt of an active operation, which goes back to DISPATCHED; false if it moved on. */
  async retry(db: Db, attempt: NewAttempt, error: object): Promise<boolean> {
    // Only from the attempt before it: a handler that read an older attempt moves nothing.
    const r = await db.operation.updateMany({
      where: {
        id: attempt.operationId,
        attempt: attempt.number - 1,
        status: { in: [OperationStatus.DISPATCHED, OperationStatus.RUNNING] },
      },
      data: { status: OperationStatus.DISPATCHED, attempt: attempt.number, error: json(error) },
    });
    if (r.count === 1)
      await db.operationAttempt.create({ data: { ...attempt, params: json(attempt.params) } });
    return r.count === 1;
  }

  /** Stops open attempts (cancelled, timed out, lease lost): the agent's next call gets 409. */
  async expireAttempts(
    db: Db,
    ids: string[],
    error: Prisma.InputJsonValue | null,
    at = new Date(),
  ): Promise<void> {
    if (!ids.length) return;
    await db.operationAttempt.updateMany({
      where: { id: { in: ids }, status: { in: OPEN_ATTEMPT } },
      data: { status: AttemptStatus.EXPIRED, finishedAt: at, ...(error ? { error } : {}) },
    });
  }

  /** Fails an attempt that was claimed but cannot be handed out (the caller settles its operation). */
  async failClaimed(db: Db, id: string, error: Prisma.InputJsonValue): Promise<boolean> {
    const r = await db.operationAttempt.updateMany({
      where: { id, status: AttemptStatus.DISPATCHED },
      data: { status: AttemptStatus.FAILED, finishedAt: new Date(), error },
    });
    return r.count === 1;
  }

  async requestCancel(id: string, at: Date): Promise<void> {
    await this.prisma.operation.updateMany({
      where: { id, cancelRequestedAt: null },
      data: { cancelRequestedAt: at },
    });
  }

  /** Ends many operations in one statement, each only if still active; returns the ids moved. */
  async finishMany(
    db: Db,
    rows: { id: string; status: OperationStatus; setError: boolean; error: Prisma.InputJsonValue | null }[],
    at: Date,
  ): Promise<string[]> {
    const moved = await db.$queryRaw<{ id: string }[]>`
      UPDATE "Operation" o SET "status" = v.status::"OperationStatus", "finishedAt" = ${at}, "updatedAt" = ${at},
        "error" = CASE WHEN v."setError" THEN v.error ELSE o."error" END
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS v(id uuid, status text, "setError" boolean, error jsonb)
      WHERE o."id" = v.id AND o."status" IN ('QUEUED', 'DISPATCHED', 'RUNNING')
      RETURNING o."id"::text AS id`;
    return moved.map((m) => m.id);
  }

  async releaseLocks(db: Db, operationIds: string[]): Promise<void> {
    await db.clusterOperationLock.deleteMany({ where: { operationId: { in: operationIds } } });
  }

  /** The identity domain a cluster is in after an operation changed it. */
  async setClusterIdentity(db: Db, clusterId: string, identityDomainId: string | null): Promise<void> {
    await db.cluster.update({ where: { id: clusterId }, data: { identityDomainId } });
  }

  async clusterNames(db: Db, clusterIds: string[]): Promise<Map<string, string>> {
    const rows = await db.cluster.findMany({
      where: { id: { in: [...new Set(clusterIds)] } },
      select: { id: true, name: true },
    });
    return new Map(rows.map((c) => [c.id, c.name]));
  }

  /** Moves an operation only from the states given, so concurrent handlers cannot regress it. */
  async transition(
    db: Db,
    id: string,
    from: OperationStatus[],
    data: Prisma.OperationUncheckedUpdateManyInput,
  ): Promise<boolean> {
    const r = await db.operation.updateMany({ where: { id, status: { in: from } }, data });
    return r.count === 1;
  }
}
