-- Fleet aggregates kept by Postgres: the counts and sums fleetSummary shows, per organization,
-- updated by the same statement that changes a cluster or its health snapshot (statement
-- triggers below), so an unfiltered summary reads a few hundred rows instead of every cluster.
-- Three kinds of row, each keyed by the dimensions a fast filter can use (provider, region,
-- status): health (every counter, by reported health), version (clusters per Linkerd version
-- and how many lag), anchors (clusters per trust-anchor bundle). Key strings are empty where
-- the value is null (region) or does not apply. Rows whose clusters fall to 0 are kept (readers
-- skip them) and go with the organization.
CREATE TABLE "FleetAggregate" (
  "organizationId" UUID NOT NULL,
  "kind" TEXT NOT NULL,
  "provider" TEXT NOT NULL,
  "region" TEXT NOT NULL,
  "status" TEXT NOT NULL,
  "health" TEXT NOT NULL,
  "version" TEXT NOT NULL,
  "anchorsKey" TEXT NOT NULL,
  "anchors" JSONB,
  "subjects" JSONB,
  "clusters" INTEGER NOT NULL DEFAULT 0,
  "lagging" INTEGER NOT NULL DEFAULT 0,
  "reported" INTEGER NOT NULL DEFAULT 0,
  "meshedPods" BIGINT NOT NULL DEFAULT 0,
  "totalPods" BIGINT NOT NULL DEFAULT 0,
  "trafficWeighted" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "trafficPods" BIGINT NOT NULL DEFAULT 0,
  "driftChecked" INTEGER NOT NULL DEFAULT 0,
  "driftClusters" INTEGER NOT NULL DEFAULT 0,
  "driftFindings" BIGINT NOT NULL DEFAULT 0,
  "resourceClusters" INTEGER NOT NULL DEFAULT 0,
  "proxyPods" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "proxyCpu" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "proxyMemory" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "proxyNearLimit" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "proxyOomKilled" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "controlPlaneMemory" DOUBLE PRECISION NOT NULL DEFAULT 0,
  "controlPlaneMemoryEntries" INTEGER NOT NULL DEFAULT 0,

  CONSTRAINT "FleetAggregate_pkey" PRIMARY KEY ("organizationId", "kind", "provider", "region", "status", "health", "version", "anchorsKey")
);

ALTER TABLE "FleetAggregate" ADD CONSTRAINT "FleetAggregate_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The top-N lists of the summary read these instead of sorting the fleet.
ALTER TABLE "ClusterHealth" ADD COLUMN "proxyMemoryMax" DOUBLE PRECISION GENERATED ALWAYS AS (
  ("resources"->'proxy'->>'max')::double precision
) STORED;
-- How far the bundled viz Prometheus is past its sizing, written by the report ingest (null: no
-- warning). Rows stored before this column get it with their next report.
ALTER TABLE "ClusterHealth" ADD COLUMN "vizPrometheusOverrun" DOUBLE PRECISION;
CREATE INDEX "ClusterHealth_organizationId_podCoverage_idx" ON "ClusterHealth"("organizationId", "podCoverage");
CREATE INDEX "ClusterHealth_organizationId_generatedAt_idx" ON "ClusterHealth"("organizationId", "generatedAt");
CREATE INDEX "ClusterHealth_organizationId_proxyMemoryMax_idx" ON "ClusterHealth"("organizationId", "proxyMemoryMax");
CREATE INDEX "ClusterHealth_organizationId_vizPrometheusOverrun_idx" ON "ClusterHealth"("organizationId", "vizPrometheusOverrun");
CREATE INDEX "ClusterHealth_organizationId_trustAnchorFingerprints_idx" ON "ClusterHealth"("organizationId", md5("trustAnchorFingerprints"::text || ' ' || COALESCE("trustAnchorSubjects"::text, '')));

-- The snapshots of an organization older than a time (the stale ones, a few in a healthy fleet),
-- always read through the (organizationId, generatedAt) index: report times only grow, so the
-- planner statistics count most snapshots as older than any recent time and would pick a scan of
-- them all, or of another index on organizationId. In that index order, with no other way allowed.
CREATE FUNCTION "meshfleet_snapshots_before"(org UUID, before TIMESTAMP)
RETURNS TABLE ("clusterId" UUID, "status" "HealthStatus") LANGUAGE sql STABLE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off AS $$
  SELECT h."clusterId", h."status" FROM "ClusterHealth" h WHERE h."organizationId" = org AND h."generatedAt" < before
  ORDER BY h."generatedAt"
$$;

-- What one cluster adds to the aggregates, times s (1 to add, -1 to take away): its own columns,
-- then those of its health snapshot (reported false and the rest NULL before the first report).
-- One row per kind that applies. Scalars, not whole rows: a row value would carry the snapshot
-- with its report (detoasted, ~13 KiB) into every call. A single SELECT, so Postgres inlines it.
-- The health UPDATE trigger below lists the snapshot columns read here: keep the two in step.
CREATE FUNCTION "meshfleet_fleet_contribution"(s INTEGER,
  org UUID, provider TEXT, region TEXT, status TEXT,
  reported BOOLEAN, health TEXT, installed BOOLEAN, version TEXT, skew TEXT, meshed INTEGER, total INTEGER,
  tc DOUBLE PRECISION, drift INTEGER, anchors JSONB, subjects JSONB, resources JSONB)
RETURNS SETOF "FleetAggregate" LANGUAGE sql IMMUTABLE AS $$
  SELECT org, k.kind, provider, COALESCE(region, ''), status,
    CASE WHEN k.kind = 'health' THEN COALESCE(health, '') ELSE '' END,
    CASE WHEN k.kind = 'version' THEN version ELSE '' END,
    CASE WHEN k.kind = 'anchors' THEN md5(anchors::text || ' ' || COALESCE(subjects::text, '')) ELSE '' END,
    CASE WHEN k.kind = 'anchors' THEN anchors END,
    CASE WHEN k.kind = 'anchors' THEN subjects END,
    s,
    CASE WHEN k.kind = 'version' THEN s * COALESCE(skew NOT IN ('none', 'unknown'), false)::int ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * reported::int ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE(meshed, 0)::bigint ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE(total, 0)::bigint ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE(tc * total, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' AND tc IS NOT NULL THEN s * total::bigint ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * (drift IS NOT NULL)::int ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE(drift > 0, false)::int ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE(drift, 0)::bigint ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * (resources IS NOT NULL)::int ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE((resources->'proxy'->>'pods')::float8, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE((resources->'proxy'->>'cpu')::float8, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE((resources->'proxy'->>'mem')::float8, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE((resources->'proxy'->>'overLimit')::float8, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' THEN s * COALESCE((resources->'proxy'->>'oomKilled')::float8, 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' AND jsonb_typeof(resources->'controlPlane') = 'array' THEN s * COALESCE((
      SELECT SUM((x->>'mem')::float8) FROM jsonb_array_elements(resources->'controlPlane') x), 0) ELSE 0 END,
    CASE WHEN k.kind = 'health' AND jsonb_typeof(resources->'controlPlane') = 'array' THEN s * (
      SELECT COUNT(x->>'mem') FROM jsonb_array_elements(resources->'controlPlane') x)::int ELSE 0 END
  FROM (VALUES ('health'), ('version'), ('anchors')) AS k(kind)
  WHERE k.kind = 'health'
    OR (k.kind = 'version' AND installed AND version IS NOT NULL)
    OR (k.kind = 'anchors' AND jsonb_typeof(anchors) = 'array' AND jsonb_array_length(anchors) > 0)
$$;

-- Adds signed contributions to the aggregates in one statement, in key order (two statements
-- adding to the same keys then wait for each other instead of deadlocking). Keys whose
-- contributions cancel out are not written.
CREATE FUNCTION "meshfleet_fleet_apply"(d "FleetAggregate"[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "FleetAggregate" AS a
  SELECT "organizationId", "kind", "provider", "region", "status", "health", "version", "anchorsKey",
    (array_agg("anchors"))[1], (array_agg("subjects"))[1],
    SUM("clusters"), SUM("lagging"), SUM("reported"), SUM("meshedPods"), SUM("totalPods"),
    SUM("trafficWeighted"), SUM("trafficPods"), SUM("driftChecked"), SUM("driftClusters"),
    SUM("driftFindings"), SUM("resourceClusters"), SUM("proxyPods"), SUM("proxyCpu"), SUM("proxyMemory"),
    SUM("proxyNearLimit"), SUM("proxyOomKilled"), SUM("controlPlaneMemory"), SUM("controlPlaneMemoryEntries")
  FROM unnest(d)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  HAVING SUM("clusters") <> 0 OR SUM("lagging") <> 0 OR SUM("reported") <> 0 OR SUM("meshedPods") <> 0
    OR SUM("totalPods") <> 0 OR SUM("trafficWeighted") <> 0 OR SUM("trafficPods") <> 0
    OR SUM("driftChecked") <> 0 OR SUM("driftClusters") <> 0 OR SUM("driftFindings") <> 0
    OR SUM("resourceClusters") <> 0 OR SUM("proxyPods") <> 0 OR SUM("proxyCpu") <> 0
    OR SUM("proxyMemory") <> 0 OR SUM("proxyNearLimit") <> 0 OR SUM("proxyOomKilled") <> 0
    OR SUM("controlPlaneMemory") <> 0 OR SUM("controlPlaneMemoryEntries") <> 0
  ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT ("organizationId", "kind", "provider", "region", "status", "health", "version", "anchorsKey")
  DO UPDATE SET
    "clusters" = a."clusters" + EXCLUDED."clusters", "lagging" = a."lagging" + EXCLUDED."lagging",
    "reported" = a."reported" + EXCLUDED."reported", "meshedPods" = a."meshedPods" + EXCLUDED."meshedPods",
    "totalPods" = a."totalPods" + EXCLUDED."totalPods",
    "trafficWeighted" = a."trafficWeighted" + EXCLUDED."trafficWeighted",
    "trafficPods" = a."trafficPods" + EXCLUDED."trafficPods",
    "driftChecked" = a."driftChecked" + EXCLUDED."driftChecked",
    "driftClusters" = a."driftClusters" + EXCLUDED."driftClusters",
    "driftFindings" = a."driftFindings" + EXCLUDED."driftFindings",
    "resourceClusters" = a."resourceClusters" + EXCLUDED."resourceClusters",
    "proxyPods" = a."proxyPods" + EXCLUDED."proxyPods", "proxyCpu" = a."proxyCpu" + EXCLUDED."proxyCpu",
    "proxyMemory" = a."proxyMemory" + EXCLUDED."proxyMemory",
    "proxyNearLimit" = a."proxyNearLimit" + EXCLUDED."proxyNearLimit",
    "proxyOomKilled" = a."proxyOomKilled" + EXCLUDED."proxyOomKilled",
    "controlPlaneMemory" = a."controlPlaneMemory" + EXCLUDED."controlPlaneMemory",
    "controlPlaneMemoryEntries" = a."controlPlaneMemoryEntries" + EXCLUDED."controlPlaneMemoryEntries"
$$;

-- A health snapshot written, replaced or removed: its cluster moves from what the old snapshot
-- contributed to what the new one does. The clusters are locked FOR SHARE first, so a concurrent
-- change of the status of a cluster waits for this transaction and then reads the new snapshot (and
-- this one, having waited, reads the new status): neither works from an old state of the other.
-- A snapshot whose cluster is gone (deleted with it) was taken away by the trigger of the cluster.
-- Writers of snapshots lock their clusters first, in id order (the report ingest updates them in
-- the same statement), so taking FOR SHARE here waits for nothing new.
-- The bodies are E-strings with \073 for each semicolon, and comments hold no semicolon or quote:
-- migration runners that split scripts on semicolons (the WASM engine of Prisma) cut there.
CREATE FUNCTION "meshfleet_fleet_health_changed"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE d "FleetAggregate"[]\073
BEGIN
  IF TG_OP = ''INSERT'' THEN
    PERFORM 1 FROM "Cluster" c WHERE c."id" IN (SELECT "clusterId" FROM "n") ORDER BY c."id" FOR SHARE\073
    SELECT array_agg(x) INTO d FROM (
      SELECT x FROM "n" JOIN "Cluster" c ON c."id" = "n"."clusterId",
        LATERAL "meshfleet_fleet_contribution"(-1, c."organizationId", c."provider"::text, c."region", c."status"::text, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) x
      UNION ALL
      SELECT x FROM "n" JOIN "Cluster" c ON c."id" = "n"."clusterId",
        LATERAL "meshfleet_fleet_contribution"(1, c."organizationId", c."provider"::text, c."region", c."status"::text,
          "n"."clusterId" IS NOT NULL, "n"."status"::text, "n"."linkerdInstalled", "n"."controlPlaneVersion", "n"."proxySkew",
          "n"."meshedPods", "n"."totalPods", "n"."trafficCoverage", "n"."driftCount", "n"."trustAnchorFingerprints", "n"."trustAnchorSubjects", "n"."resources") x) q\073
  ELSIF TG_OP = ''UPDATE'' THEN
    PERFORM 1 FROM "Cluster" c WHERE c."id" IN (SELECT "clusterId" FROM "n") ORDER BY c."id" FOR SHARE\073
    -- Only snapshots that changed a column the contribution reads (most reports change only
    -- the time and the sequence, or the resource figures): old values o0 and on, new ones n0 and on.
    WITH ch AS (
      SELECT "n"."clusterId" AS id,
        "o"."status" AS o0, "o"."linkerdInstalled" AS o1, "o"."controlPlaneVersion" AS o2, "o"."proxySkew" AS o3,
        "o"."meshedPods" AS o4, "o"."totalPods" AS o5, "o"."trafficCoverage" AS o6, "o"."driftCount" AS o7,
        "o"."trustAnchorFingerprints" AS o8, "o"."trustAnchorSubjects" AS o9, "o"."resources" AS o10,
        "n"."status" AS n0, "n"."linkerdInstalled" AS n1, "n"."controlPlaneVersion" AS n2, "n"."proxySkew" AS n3,
        "n"."meshedPods" AS n4, "n"."totalPods" AS n5, "n"."trafficCoverage" AS n6, "n"."driftCount" AS n7,
        "n"."trustAnchorFingerprints" AS n8, "n"."trustAnchorSubjects" AS n9, "n"."resources" AS n10
      FROM "o" JOIN "n" ON "n"."clusterId" = "o"."clusterId"
      WHERE ("o"."status", "o"."linkerdInstalled", "o"."controlPlaneVersion", "o"."proxySkew", "o"."meshedPods",
          "o"."totalPods", "o"."trafficCoverage", "o"."driftCount", "o"."trustAnchorFingerprints",
          "o"."trustAnchorSubjects", "o"."resources")
        IS DISTINCT FROM ("n"."status", "n"."linkerdInstalled", "n"."controlPlaneVersion", "n"."proxySkew",
          "n"."meshedPods", "n"."totalPods", "n"."trafficCoverage", "n"."driftCount", "n"."trustAnchorFingerprints",
          "n"."trustAnchorSubjects", "n"."resources"))
    SELECT array_agg(x) INTO d FROM (
      SELECT x FROM ch JOIN "Cluster" c ON c."id" = ch.id,
        LATERAL "meshfleet_fleet_contribution"(-1, c."organizationId", c."provider"::text, c."region", c."status"::text,
          true, ch.o0::text, ch.o1, ch.o2, ch.o3, ch.o4, ch.o5, ch.o6, ch.o7, ch.o8, ch.o9, ch.o10) x
      UNION ALL
      SELECT x FROM ch JOIN "Cluster" c ON c."id" = ch.id,
        LATERAL "meshfleet_fleet_contribution"(1, c."organizationId", c."provider"::text, c."region", c."status"::text,
          true, ch.n0::text, ch.n1, ch.n2, ch.n3, ch.n4, ch.n5, ch.n6, ch.n7, ch.n8, ch.n9, ch.n10) x) q\073
  ELSE
    PERFORM 1 FROM "Cluster" c WHERE c."id" IN (SELECT "clusterId" FROM "o") ORDER BY c."id" FOR SHARE\073
    SELECT array_agg(x) INTO d FROM (
      SELECT x FROM "o" JOIN "Cluster" c ON c."id" = "o"."clusterId",
        LATERAL "meshfleet_fleet_contribution"(-1, c."organizationId", c."provider"::text, c."region", c."status"::text,
          "o"."clusterId" IS NOT NULL, "o"."status"::text, "o"."linkerdInstalled", "o"."controlPlaneVersion", "o"."proxySkew",
          "o"."meshedPods", "o"."totalPods", "o"."trafficCoverage", "o"."driftCount", "o"."trustAnchorFingerprints", "o"."trustAnchorSubjects", "o"."resources") x
      UNION ALL
      SELECT x FROM "o" JOIN "Cluster" c ON c."id" = "o"."clusterId",
        LATERAL "meshfleet_fleet_contribution"(1, c."organizationId", c."provider"::text, c."region", c."status"::text, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) x) q\073
  END IF\073
  IF d IS NOT NULL THEN
    PERFORM "meshfleet_fleet_apply"(d)\073
  END IF\073
  RETURN NULL\073
END';

-- A cluster registered, or its provider, region or status changed (an UPDATE that changes none
-- of them, like the ingest touching lastSeenAt, adds nothing). Reads the snapshot as committed:
-- a snapshot being written concurrently holds this cluster FOR SHARE, so the update waited for it.
CREATE FUNCTION "meshfleet_fleet_cluster_changed"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE d "FleetAggregate"[]\073
BEGIN
  IF TG_OP = ''INSERT'' THEN
    SELECT array_agg(x) INTO d FROM "n" LEFT JOIN "ClusterHealth" h ON h."clusterId" = "n"."id",
      LATERAL "meshfleet_fleet_contribution"(1, "n"."organizationId", "n"."provider"::text, "n"."region", "n"."status"::text,
        h."clusterId" IS NOT NULL, h."status"::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
          h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints", h."trustAnchorSubjects", h."resources") x\073
  ELSE
    SELECT array_agg(x) INTO d FROM (
      SELECT x FROM "o" JOIN "n" ON "n"."id" = "o"."id" LEFT JOIN "ClusterHealth" h ON h."clusterId" = "n"."id",
        LATERAL "meshfleet_fleet_contribution"(-1, "o"."organizationId", "o"."provider"::text, "o"."region", "o"."status"::text,
          h."clusterId" IS NOT NULL, h."status"::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
          h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints", h."trustAnchorSubjects", h."resources") x
      WHERE ("o"."organizationId", "o"."provider", "o"."region", "o"."status")
        IS DISTINCT FROM ("n"."organizationId", "n"."provider", "n"."region", "n"."status")
      UNION ALL
      SELECT x FROM "o" JOIN "n" ON "n"."id" = "o"."id" LEFT JOIN "ClusterHealth" h ON h."clusterId" = "n"."id",
        LATERAL "meshfleet_fleet_contribution"(1, "n"."organizationId", "n"."provider"::text, "n"."region", "n"."status"::text,
          h."clusterId" IS NOT NULL, h."status"::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
          h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints", h."trustAnchorSubjects", h."resources") x
      WHERE ("o"."organizationId", "o"."provider", "o"."region", "o"."status")
        IS DISTINCT FROM ("n"."organizationId", "n"."provider", "n"."region", "n"."status")) q\073
  END IF\073
  IF d IS NOT NULL THEN
    PERFORM "meshfleet_fleet_apply"(d)\073
  END IF\073
  RETURN NULL\073
END';

-- A cluster about to be deleted takes away what it contributed, with its snapshot still there
-- (the cascade removes the snapshot after this). Skipped when its organization is being deleted:
-- the aggregates go with the organization.
CREATE FUNCTION "meshfleet_fleet_cluster_deleting"() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE d "FleetAggregate"[]\073
BEGIN
  IF EXISTS (SELECT 1 FROM "Organization" WHERE "id" = OLD."organizationId") THEN
    SELECT array_agg(x) INTO d FROM (SELECT OLD."id" AS id) o LEFT JOIN "ClusterHealth" h ON h."clusterId" = o.id,
      LATERAL "meshfleet_fleet_contribution"(-1, OLD."organizationId", OLD."provider"::text, OLD."region", OLD."status"::text,
        h."clusterId" IS NOT NULL, h."status"::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
          h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints", h."trustAnchorSubjects", h."resources") x\073
    IF d IS NOT NULL THEN
      PERFORM "meshfleet_fleet_apply"(d)\073
    END IF\073
  END IF\073
  RETURN OLD\073
END';

CREATE TRIGGER "ClusterHealth_fleet_insert" AFTER INSERT ON "ClusterHealth"
  REFERENCING NEW TABLE AS "n" FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_fleet_health_changed"();
CREATE TRIGGER "ClusterHealth_fleet_update" AFTER UPDATE ON "ClusterHealth"
  REFERENCING OLD TABLE AS "o" NEW TABLE AS "n" FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_fleet_health_changed"();
CREATE TRIGGER "ClusterHealth_fleet_delete" AFTER DELETE ON "ClusterHealth"
  REFERENCING OLD TABLE AS "o" FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_fleet_health_changed"();
CREATE TRIGGER "Cluster_fleet_insert" AFTER INSERT ON "Cluster"
  REFERENCING NEW TABLE AS "n" FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_fleet_cluster_changed"();
CREATE TRIGGER "Cluster_fleet_update" AFTER UPDATE ON "Cluster"
  REFERENCING OLD TABLE AS "o" NEW TABLE AS "n" FOR EACH STATEMENT EXECUTE FUNCTION "meshfleet_fleet_cluster_changed"();
CREATE TRIGGER "Cluster_fleet_delete" BEFORE DELETE ON "Cluster"
  FOR EACH ROW EXECUTE FUNCTION "meshfleet_fleet_cluster_deleting"();

-- The fleet as it is now.
INSERT INTO "FleetAggregate"
SELECT x."organizationId", x."kind", x."provider", x."region", x."status", x."health", x."version", x."anchorsKey",
  (array_agg(x."anchors"))[1], (array_agg(x."subjects"))[1],
  SUM(x."clusters"), SUM(x."lagging"), SUM(x."reported"), SUM(x."meshedPods"), SUM(x."totalPods"),
  SUM(x."trafficWeighted"), SUM(x."trafficPods"), SUM(x."driftChecked"), SUM(x."driftClusters"),
  SUM(x."driftFindings"), SUM(x."resourceClusters"), SUM(x."proxyPods"), SUM(x."proxyCpu"), SUM(x."proxyMemory"),
  SUM(x."proxyNearLimit"), SUM(x."proxyOomKilled"), SUM(x."controlPlaneMemory"), SUM(x."controlPlaneMemoryEntries")
FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id",
  LATERAL "meshfleet_fleet_contribution"(1, c."organizationId", c."provider"::text, c."region", c."status"::text,
    h."clusterId" IS NOT NULL, h."status"::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
          h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints", h."trustAnchorSubjects", h."resources") x
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
