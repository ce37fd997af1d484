import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { HealthReport } from '@meshfleet/agent-protocol';
import { AppConfig } from '@meshfleet/config';
import { certificateExpiryByRole, deriveHealth, prometheusSizingOverrun } from '@meshfleet/linkerd';
import { resourceSampleFigures } from './resource-figures';

/** Batches in flight at once (ReportIngestBatcher), each on its own connection. */
export const INGEST_CONNECTIONS = 2;

/** One report to store, with the cluster it came from (the authenticated agent's). */
export interface ReportToIngest {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  report: HealthReport;
  receivedAt: Date;
}

// The batch travels as one jsonb parameter (each report stays a JSON object inside it), so Postgres
// parses it once and nothing is escaped twice. Single reports take the same path as a batch of
// one. Every derived column comes from deriveHealth (no SQL repeats a rule). Per row: the snapshot
// is replaced only by a higher sequence, then a sample, the cluster's lastSeenAt and facts, and a
// cluster.health_changed event when the status differs from the previous snapshot.
// Callers pass distinct cluster ids (ON CONFLICT cannot touch a row twice in one statement).
const INGEST_MANY = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
    "clusterId" uuid, "organizationId" uuid, "clusterName" text, "sequence" bigint,
    "generatedAt" timestamp(3), "receivedAt" timestamp(3), "status" "HealthStatus", "linkerdInstalled" boolean,
    "controlPlaneVersion" text, "podCoverage" double precision, "trafficCoverage" double precision,
    "requestCoverage" double precision, "connectionCoverage" double precision, "proxySkew" text,
    "trustAnchorFingerprints" jsonb, "trustAnchorSubjects" jsonb,
    "meshedPods" int, "totalPods" int, "errorCount" int, "warningCount" int, "earliestCertExpiry" timestamp(3),
    "certificateExpiryByRole" jsonb, "namespaceCoverage" jsonb, "agentVersion" text, "kubernetesVersion" text, "report" jsonb,
    "resources" jsonb, "proxyMemoryBytes" double precision, "proxyMemoryMaxBytes" double precision,
    "proxyCpuCores" double precision, "controlPlaneMemoryBytes" double precision,
    "vizPrometheusOverrun" double precision)
), prev AS (
  SELECT h."clusterId", h."status" FROM "ClusterHealth" h
  WHERE h."clusterId" IN (SELECT "clusterId" FROM input) ORDER BY h."clusterId" FOR UPDATE
), up AS (
  INSERT INTO "ClusterHealth" ("clusterId", "organizationId", "sequence", "generatedAt", "receivedAt", "status",
    "linkerdInstalled", "controlPlaneVersion", "podCoverage", "trafficCoverage", "requestCoverage",
    "connectionCoverage", "proxySkew", "trustAnchorFingerprints", "trustAnchorSubjects", "meshedPods", "totalPods",
    "errorCount", "warningCount", "earliestCertExpiry", "certificateExpiryByRole", "report", "resources",
    "vizPrometheusOverrun")
  SELECT "clusterId", "organizationId", "sequence", "generatedAt", "receivedAt", "status", "linkerdInstalled",
    "controlPlaneVersion", "podCoverage", "trafficCoverage", "requestCoverage", "connectionCoverage", "proxySkew",
    "trustAnchorFingerprints", "trustAnchorSubjects", "meshedPods", "totalPods", "errorCount",
    "warningCount", "earliestCertExpiry", "certificateExpiryByRole", "report", "resources", "vizPrometheusOverrun"
  -- Reads (and locks) prev before this statement changes the rows: read afterwards, FOR UPDATE skips
  -- rows the same statement updated, and every report would look like a health change.
  FROM input WHERE (SELECT COUNT(*) FROM prev) >= 0 ORDER BY "clusterId"
  ON CONFLICT ("clusterId") DO UPDATE SET
    "sequence" = EXCLUDED."sequence", "generatedAt" = EXCLUDED."generatedAt", "receivedAt" = EXCLUDED."receivedAt",
    "status" = EXCLUDED."status", "linkerdInstalled" = EXCLUDED."linkerdInstalled",
    "controlPlaneVersion" = EXCLUDED."controlPlaneVersion", "podCoverage" = EXCLUDED."podCoverage",
    "trafficCoverage" = EXCLUDED."trafficCoverage", "requestCoverage" = EXCLUDED."requestCoverage",
    "connectionCoverage" = EXCLUDED."connectionCoverage", "proxySkew" = EXCLUDED."proxySkew",
    "trustAnchorFingerprints" = EXCLUDED."trustAnchorFingerprints",
    "trustAnchorSubjects" = EXCLUDED."trustAnchorSubjects", "meshedPods" = EXCLUDED."meshedPods",
    "totalPods" = EXCLUDED."totalPods", "errorCount" = EXCLUDED."errorCount",
    "warningCount" = EXCLUDED."warningCount", "earliestCertExpiry" = EXCLUDED."earliestCertExpiry",
    "certificateExpiryByRole" = EXCLUDED."certificateExpiryByRole", "report" = EXCLUDED."report",
    "resources" = EXCLUDED."resources", "vizPrometheusOverrun" = EXCLUDED."vizPrometheusOverrun"
  WHERE "ClusterHealth"."sequence" < EXCLUDED."sequence"
  RETURNING "clusterId"
), sample AS (
  INSERT INTO "HealthSample" ("organizationId", "clusterId", "at", "status", "podCoverage", "trafficCoverage",
    "requestCoverage", "connectionCoverage", "meshedPods", "totalPods", "errorCount", "warningCount",
    "namespaceCoverage", "proxyMemoryBytes", "proxyMemoryMaxBytes", "proxyCpuCores", "controlPlaneMemoryBytes")
  SELECT i."organizationId", i."clusterId", i."generatedAt", i."status", i."podCoverage", i."trafficCoverage",
    i."requestCoverage", i."connectionCoverage", i."meshedPods", i."totalPods", i."errorCount", i."warningCount",
    i."namespaceCoverage", i."proxyMemoryBytes", i."proxyMemoryMaxBytes", i."proxyCpuCores",
    i."controlPlaneMemoryBytes"
  FROM input i JOIN up USING ("clusterId")
  RETURNING 1
), touch AS (
  UPDATE "Cluster" c SET "lastSeenAt" = i."receivedAt", "agentVersion" = i."agentVersion",
    "kubernetesVersion" = COALESCE(i."kubernetesVersion", c."kubernetesVersion"), "updatedAt" = now(),
    -- GitOps ownership from the report's gitops marks. Kept as is when the user chose the mode or
    -- the agent predates detection (gitops null); a mode that was detected follows the marks.
    "managementMode" = CASE WHEN NOT g."seen" OR c."managementModeSource" = 'USER' THEN c."managementMode"
      WHEN g."tool" IS NOT NULL THEN 'GITOPS'::"ManagementMode"
      WHEN c."managementModeSource" = 'DETECTED' THEN 'MESHFLEET'::"ManagementMode" ELSE c."managementMode" END,
    "gitopsTool" = CASE WHEN NOT g."seen" OR c."managementModeSource" = 'USER' THEN c."gitopsTool"
      WHEN g."tool" IS NOT NULL THEN g."tool"::"GitopsTool"
      WHEN c."managementModeSource" = 'DETECTED' THEN NULL ELSE c."gitopsTool" END,
    "managementModeSource" = CASE WHEN NOT g."seen" OR c."managementModeSource" = 'USER' THEN c."managementModeSource"
      WHEN g."tool" IS NOT NULL THEN 'DETECTED'::"ManagementModeSource" ELSE NULL END,
    "gitopsEvidence" = CASE WHEN g."seen" THEN COALESCE(i."report"->'gitops'->'evidence', '[]'::jsonb)
      ELSE c."gitopsEvidence" END
  FROM input i JOIN up USING ("clusterId"), LATERAL (SELECT
      jsonb_typeof(i."report"->'gitops') IS NOT DISTINCT FROM 'object' AS "seen",
      i."report"->'gitops'->>'detected' AS "tool") g
  WHERE c."id" = i."clusterId" AND c."status" <> 'DEREGISTERED'
  RETURNING 1
), ev AS (
  INSERT INTO "DomainEvent" ("id", "organizationId", "type", "clusterId", "payload")
  SELECT gen_random_uuid(), i."organizationId", 'cluster.health_changed', i."clusterId",
    jsonb_build_object('clusterName', i."clusterName", 'from', p."status"::text, 'to', i."status"::text)
  FROM input i JOIN up USING ("clusterId") LEFT JOIN prev p USING ("clusterId")
  WHERE p."status" IS DISTINCT FROM i."status"
  RETURNING 1
)
SELECT "clusterId"::text AS "clusterId" FROM up`;

/**
 * The sample's per-namespace coverage, `{"<namespace>": [meshedPods, totalPods]}`: two numbers per
 * namespace the report carried (the report already bounds how many), so the sample row stays small.
 */
export function namespaceCoverage(report: HealthReport): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const n of report.mtls.namespaces) out[n.name] = [n.meshedPods, n.totalPods];
  return out;
}

/**
 * Stores many agents' reports in one statement (one round trip for the whole batch). The hottest
 * write of the system goes through its own small node-postgres pool as a named prepared statement
 * rather than through Prisma: Postgres plans it once per connection, and the client does no query
 * building per batch.
 */
@Injectable()
export class ReportIngestRepository implements OnModuleDestroy {
  private pool: pg.Pool | null = null;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  private get db(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.config.databaseUrl, max: INGEST_CONNECTIONS });
      // An idle connection's error must not crash the process; the next query reconnects.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end();
    this.pool = null;
  }

  /** Returns the cluster ids whose report was accepted (a higher sequence than the stored one). */
  async ingestMany(items: readonly ReportToIngest[]): Promise<Set<string>> {
    const rows = items.map(({ organizationId, clusterId, clusterName, report, receivedAt }) => {
      const derived = deriveHealth(report);
      const expiry = derived.earliestCertificateExpiry;
      return {
        clusterId,
        organizationId,
        clusterName,
        sequence: report.sequence,
        generatedAt: new Date(report.generatedAt).toISOString(),
        receivedAt: receivedAt.toISOString(),
        status: derived.status,
        linkerdInstalled: report.linkerd.installed,
        controlPlaneVersion: derived.controlPlaneVersion,
        podCoverage: derived.podCoverage,
        trafficCoverage: derived.trafficCoverage,
        requestCoverage: derived.requestCoverage,
        connectionCoverage: derived.connectionCoverage,
        proxySkew: derived.proxySkew,
        trustAnchorFingerprints: derived.trustAnchorFingerprints,
        trustAnchorSubjects: derived.trustAnchorSubjects,
        meshedPods: report.mtls.meshedPods,
        totalPods: report.mtls.totalPods,
        errorCount: derived.errorCount,
        warningCount: derived.warningCount,
        earliestCertExpiry: expiry ? new Date(expiry.notAfter).toISOString() : null,
        certificateExpiryByRole: certificateExpiryByRole(report.certificates),
        namespaceCoverage: namespaceCoverage(report),
        agentVersion: report.agentVersion,
        kubernetesVersion: report.kubernetesVersion,
        report,
        resources: report.resources,
        ...resourceSampleFigures(report.resources),
        vizPrometheusOverrun: report.resources?.vizPrometheus
          ? prometheusSizingOverrun(report.mtls.meshedPods, report.resources.vizPrometheus)
          : null,
      };
    });
    const res = await this.db.query<{ clusterId: string }>({
      name: 'meshfleet_ingest_reports',
      text: INGEST_MANY,
      values: [JSON.stringify(rows)],
    });
    return new Set(res.rows.map((r) => r.clusterId));
  }
}
