-- One place per rule, state in columns rather than in text or Redis.

-- Derived health columns are computed at ingest in TypeScript (deriveHealth) and written with the
-- snapshot: the trigger that derived three of them again in SQL goes. Existing rows keep the
-- values it set.
DROP TRIGGER IF EXISTS "ClusterHealth_derive" ON "ClusterHealth";
DROP FUNCTION IF EXISTS "ClusterHealth_derive"();

-- mTLS traffic coverage by kind: the headline trafficCoverage is the worse of the two.
ALTER TABLE "ClusterHealth" ADD COLUMN "requestCoverage" DOUBLE PRECISION,
ADD COLUMN "connectionCoverage" DOUBLE PRECISION;
ALTER TABLE "HealthSample" ADD COLUMN "requestCoverage" DOUBLE PRECISION,
ADD COLUMN "connectionCoverage" DOUBLE PRECISION;

-- Existing snapshots, once, from the report they hold (older API versions stored the request
-- share alone as the headline when there was one). LEAST skips NULLs, as the headline does.
UPDATE "ClusterHealth" SET
  "requestCoverage" = ("report" #>> '{mtls,trafficCoverage,requests,share}')::double precision,
  "connectionCoverage" = ("report" #>> '{mtls,trafficCoverage,connections,share}')::double precision,
  "trafficCoverage" = LEAST(
    ("report" #>> '{mtls,trafficCoverage,requests,share}')::double precision,
    ("report" #>> '{mtls,trafficCoverage,connections,share}')::double precision);

-- Rollout targets: the gate's coverage baseline and the rollback marker were kept in `reason`.
ALTER TABLE "RolloutTarget" ADD COLUMN "baselinePodCoverage" DOUBLE PRECISION,
ADD COLUMN "rollbackStartedAt" TIMESTAMP(3);

UPDATE "RolloutTarget" SET
  "baselinePodCoverage" = substring("reason" from 'podCoverage=([0-9.eE+-]+)')::double precision,
  "reason" = NULL
WHERE "reason" LIKE 'baseline podCoverage=%';

UPDATE "RolloutTarget" SET "rollbackStartedAt" = "updatedAt" WHERE "reason" LIKE 'rollback%';

-- The alert evaluator's pending `for` marks and due times, formerly in Redis.
CREATE TABLE "AlertPending" (
    "clusterId" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "since" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertPending_pkey" PRIMARY KEY ("clusterId","fingerprint")
);

CREATE TABLE "AlertDue" (
    "clusterId" UUID NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertDue_pkey" PRIMARY KEY ("clusterId")
);

CREATE INDEX "AlertDue_dueAt_idx" ON "AlertDue"("dueAt");

ALTER TABLE "AlertPending" ADD CONSTRAINT "AlertPending_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "AlertDue" ADD CONSTRAINT "AlertDue_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The outbox hands each event to every handler as a row of its own, claimed in that handler's
-- own transaction. Events not yet handed out (processedAt NULL) are handed out as before.
CREATE TABLE "PendingDomainEvent" (
    "handler" TEXT NOT NULL,
    "eventId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PendingDomainEvent_pkey" PRIMARY KEY ("handler","eventId")
);

CREATE INDEX "PendingDomainEvent_handler_createdAt_eventId_idx" ON "PendingDomainEvent"("handler", "createdAt", "eventId");

ALTER TABLE "PendingDomainEvent" ADD CONSTRAINT "PendingDomainEvent_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "DomainEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
