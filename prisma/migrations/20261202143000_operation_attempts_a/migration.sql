-- One aggregate for the work agents do: Operation -> OperationAttempt -> OperationStep.
-- AgentTask rows become attempts (same ids, so agents holding a task keep its URL), their events
-- become append-only steps, and direct diagnostics tasks become operations of their own kind.

CREATE TYPE "AttemptStatus" AS ENUM ('QUEUED', 'DISPATCHED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED');

-- The new kind is used below in this same migration, so the enum is rebuilt rather than extended
-- (a value added by ALTER TYPE ... ADD VALUE cannot be used in the transaction that adds it).
ALTER TYPE "OperationKind" RENAME TO "OperationKind_old";
CREATE TYPE "OperationKind" AS ENUM ('INSTALL', 'UPGRADE', 'UNINSTALL', 'ROTATE_ISSUER', 'RESTART_DATA_PLANE', 'COLLECT_PROXY_METRICS');
ALTER TABLE "Operation" ALTER COLUMN "kind" TYPE "OperationKind" USING "kind"::text::"OperationKind";
DROP TYPE "OperationKind_old";

CREATE TABLE "OperationAttempt" (
    "id" UUID NOT NULL,
    "operationId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "clusterId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "status" "AttemptStatus" NOT NULL DEFAULT 'QUEUED',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deadlineAt" TIMESTAMP(3) NOT NULL,
    "dispatchedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "output" JSONB,
    "error" JSONB,

    CONSTRAINT "OperationAttempt_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "OperationStep" (
    "attemptId" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "step" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "message" TEXT NOT NULL DEFAULT '',
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OperationStep_pkey" PRIMARY KEY ("attemptId","seq")
);

CREATE INDEX "OperationAttempt_clusterId_status_createdAt_idx" ON "OperationAttempt"("clusterId", "status", "createdAt");
CREATE UNIQUE INDEX "OperationAttempt_operationId_number_key" ON "OperationAttempt"("operationId", "number");
ALTER TABLE "OperationAttempt" ADD CONSTRAINT "OperationAttempt_operationId_fkey" FOREIGN KEY ("operationId") REFERENCES "Operation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "OperationStep" ADD CONSTRAINT "OperationStep_attemptId_fkey" FOREIGN KEY ("attemptId") REFERENCES "OperationAttempt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Which operation each task belongs to: the current one by Operation.agentTaskId, earlier attempts
-- by the operationId their params carry, and any other task was a direct diagnostics task.
CREATE TABLE "_task_owner" AS
SELECT t."id" AS "taskId", coalesce(cur."id", earlier."id") AS "operationId"
FROM "AgentTask" t
LEFT JOIN "Operation" cur ON cur."agentTaskId" = t."id"
LEFT JOIN "Operation" earlier ON cur."id" IS NULL AND earlier."clusterId" = t."clusterId"
  AND earlier."id"::text = t."params"->>'operationId';

-- Diagnostics tasks: an operation each (same id as the task), in the state the task was in.
INSERT INTO "Operation" ("id", "organizationId", "clusterId", "kind", "status", "params", "attempt",
  "requestedBy", "error", "createdAt", "updatedAt", "dispatchedAt", "finishedAt", "deadlineAt")
SELECT t."id", t."organizationId", t."clusterId", 'COLLECT_PROXY_METRICS', (CASE t."status"
    WHEN 'QUEUED' THEN 'DISPATCHED' WHEN 'EXPIRED' THEN 'TIMED_OUT' ELSE t."status"::text END)::"OperationStatus",
  t."params", t."attempt", coalesce(t."requestedBy", 'unknown'), t."error", t."createdAt",
  coalesce(t."finishedAt", t."dispatchedAt", t."createdAt"), t."createdAt", t."finishedAt", t."deadlineAt"
FROM "AgentTask" t JOIN "_task_owner" o ON o."taskId" = t."id"
WHERE o."operationId" IS NULL;

INSERT INTO "OperationAttempt" ("id", "operationId", "number", "clusterId", "kind", "params", "status",
  "createdAt", "deadlineAt", "dispatchedAt", "finishedAt", "output", "error")
SELECT t."id", coalesce(o."operationId", t."id"), t."attempt", t."clusterId", t."kind", t."params",
  t."status"::text::"AttemptStatus", t."createdAt", t."deadlineAt", t."dispatchedAt", t."finishedAt",
  t."output", t."error"
FROM "AgentTask" t JOIN "_task_owner" o ON o."taskId" = t."id"
-- Two tasks with one number (should not happen): the later keeps it, the earlier is dropped.
WHERE NOT EXISTS (
  SELECT 1 FROM "AgentTask" t2 JOIN "_task_owner" o2 ON o2."taskId" = t2."id"
  WHERE coalesce(o2."operationId", t2."id") = coalesce(o."operationId", t."id")
    AND t2."attempt" = t."attempt" AND t2."createdAt" > t."createdAt");

-- Events become steps, in the order they were recorded.
INSERT INTO "OperationStep" ("attemptId", "step", "status", "message", "at")
SELECT a."id", e.value->>'step', e.value->>'status', coalesce(e.value->>'message', ''),
  (e.value->>'at')::timestamptz AT TIME ZONE 'UTC'
FROM "OperationAttempt" a
JOIN "AgentTask" t ON t."id" = a."id"
CROSS JOIN LATERAL jsonb_array_elements(t."events") WITH ORDINALITY AS e(value, i)
ORDER BY a."createdAt", a."id", e.i;

-- Operations whose steps were copied but whose task is gone: one attempt holding those steps.
CREATE TABLE "_orphan_steps" AS
SELECT o."id" AS "operationId", gen_random_uuid() AS "attemptId"
FROM "Operation" o
WHERE jsonb_array_length(o."steps") > 0
  AND NOT EXISTS (SELECT 1 FROM "OperationAttempt" a WHERE a."operationId" = o."id" AND a."number" = o."attempt");

INSERT INTO "OperationAttempt" ("id", "operationId", "number", "clusterId", "kind", "params", "status",
  "createdAt", "deadlineAt", "finishedAt")
SELECT x."attemptId", o."id", o."attempt", o."clusterId", o."kind"::text, o."params",
  (CASE WHEN o."status" = 'SUCCEEDED' THEN 'SUCCEEDED' WHEN o."status" = 'FAILED' THEN 'FAILED'
    ELSE 'EXPIRED' END)::"AttemptStatus",
  coalesce(o."dispatchedAt", o."createdAt"), o."deadlineAt", coalesce(o."finishedAt", o."updatedAt")
FROM "_orphan_steps" x JOIN "Operation" o ON o."id" = x."operationId";

INSERT INTO "OperationStep" ("attemptId", "step", "status", "message", "at")
SELECT x."attemptId", e.value->>'step', e.value->>'status', coalesce(e.value->>'message', ''),
  (e.value->>'at')::timestamptz AT TIME ZONE 'UTC'
FROM "_orphan_steps" x
JOIN "Operation" o ON o."id" = x."operationId"
CROSS JOIN LATERAL jsonb_array_elements(o."steps") WITH ORDINALITY AS e(value, i)
ORDER BY x."attemptId", e.i;

-- What the aggregate replaces.
DROP INDEX "Operation_agentTaskId_key";
ALTER TABLE "Operation" DROP COLUMN "agentTaskId", DROP COLUMN "steps";
DROP TABLE "AgentTask";
DROP TYPE "AgentTaskStatus";
DROP TABLE "_task_owner";
DROP TABLE "_orphan_steps";
