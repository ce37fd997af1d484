// Turns the stored per-cluster rows into exposition text, one family at a time (the format wants a
// family's samples together): one pass over the rows per family, each family one chunk, so the
// caller can stream it out and never holds the whole body.
import { familyHeader, formatValue, labelPairs } from './exposition';
import {
  AGENT_STATES,
  ALERT_SEVERITIES,
  CERTIFICATE_ROLES,
  FamilyDef,
  FLEET_FAMILIES,
  HEALTH_STATES,
  MESH_FAMILIES,
  RESOURCE_FAMILIES,
} from './fleet-metrics.catalog';

/** One cluster as the repository reads it (Cluster, its latest ClusterHealth, its firing alerts). */
export interface ClusterMetricsRow {
  id: string;
  name: string;
  provider: string;
  region: string | null;
  status: string;
  mode: string;
  agentVersion: string | null;
  kubernetesVersion: string | null;
  generatedAt: Date | null;
  health: string | null;
  controlPlaneVersion: string | null;
  proxySkew: string | null;
  podCoverage: number | null;
  trafficCoverage: number | null;
  meshedPods: number | null;
  totalPods: number | null;
  errorCount: number | null;
  warningCount: number | null;
  certificateExpiryByRole: Record<string, string> | null;
  alertsCritical: number;
  alertsWarning: number;
  alertsInfo: number;
}

export interface FleetMetricsInput {
  clusters: ClusterMetricsRow[];
  /** Firing alerts of the whole organization by severity (CRITICAL, WARNING, INFO). */
  fleetAlerts: Record<string, number>;
  now: Date;
  /** Reports generated before this are stale: the cluster's health is UNKNOWN (as in the API). */
  freshAfter: Date;
}

/** A family's samples for one cluster: [extra labels or '', value] pairs. */
type ClusterSamples = (row: ClusterMetricsRow, ctx: RenderContext) => Iterable<[string, number]>;

interface RenderContext {
  nowMs: number;
  freshAfterMs: number;
}

const one = (v: number | null | undefined): [string, number][] =>
  v === null || v === undefined ? [] : [['', v]];

/** The health the API shows: the stored status only while the agent is connected and the report fresh. */
export function shownHealth(row: ClusterMetricsRow, freshAfterMs: number): string {
  if (row.status !== 'CONNECTED' || !row.health || !row.generatedAt) return 'UNKNOWN';
  return row.generatedAt.getTime() >= freshAfterMs ? row.health : 'UNKNOWN';
}

const MESH: [FamilyDef, ClusterSamples][] = [
  [
    MESH_FAMILIES.info,
    (r) => [
      [
        labelPairs({
          linkerd_version: r.controlPlaneVersion ?? '',
          agent_version: r.agentVersion ?? '',
          kubernetes_version: r.kubernetesVersion ?? '',
          proxy_skew: r.proxySkew ?? '',
          mode: r.mode,
        }),
        1,
      ],
    ],
  ],
  [MESH_FAMILIES.agentStatus, (r) => AGENT_STATES.map((s) => [`status="${s}"`, r.status === s ? 1 : 0])],
  [
    MESH_FAMILIES.healthStatus,
    (r, c) => {
      const shown = shownHealth(r, c.freshAfterMs);
      return HEALTH_STATES.map((s) => [`state="${s}"`, shown === s ? 1 : 0]);
    },
  ],
  [
    MESH_FAMILIES.failingChecks,
    (r) =>
      r.errorCount === null
        ? []
        : [
            ['result="error"', r.errorCount],
            ['result="warning"', r.warningCount ?? 0],
          ],
  ],
  [MESH_FAMILIES.podCoverage, (r) => one(r.podCoverage)],
  [MESH_FAMILIES.trafficCoverage, (r) => one(r.trafficCoverage)],
  [MESH_FAMILIES.meshedPods, (r) => one(r.meshedPods)],
  [MESH_FAMILIES.pods, (r) => one(r.totalPods)],
  [
    MESH_FAMILIES.certificateExpiry,
    (r) => {
      const out: [string, number][] = [];
      const byRole = r.certificateExpiryByRole ?? {};
      for (const role of CERTIFICATE_ROLES) {
        const at = byRole[role] ? Date.parse(byRole[role]) : NaN;
        if (Number.isFinite(at)) out.push([`role="${role}"`, at / 1000]);
      }
      return out;
    },
  ],
  [
    MESH_FAMILIES.openAlerts,
    (r) => [
      ['severity="CRITICAL"', r.alertsCritical],
      ['severity="WARNING"', r.alertsWarning],
      ['severity="INFO"', r.alertsInfo],
    ],
  ],
  [MESH_FAMILIES.reportTimestamp, (r) => one(r.generatedAt ? r.generatedAt.getTime() / 1000 : null)],
  [
    MESH_FAMILIES.reportAge,
    (r, c) => one(r.generatedAt ? Math.max(0, (c.nowMs - r.generatedAt.getTime()) / 1000) : null),
  ],
];

// --- Proxy and control-plane resources -------------------------------------------------------
// Reserved families: declared on every scrape, no samples yet. When the stored health carries the
// resource summary, add its columns to ClusterMetricsRow (and the repository's SELECT) and return
// the samples here, e.g. proxyMemory: (r) => [['quantile="0.5"', r.proxyMemoryP50], …].
const RESOURCES: [FamilyDef, ClusterSamples][] = Object.values(RESOURCE_FAMILIES).map((f) => [f, () => []]);

/** The exposition text in chunks, one per family; every declared family appears, samples or not. */
export function* renderFleetMetrics(input: FleetMetricsInput): Generator<string> {
  const ctx: RenderContext = { nowMs: input.now.getTime(), freshAfterMs: input.freshAfter.getTime() };
  // The cluster labels are escaped once per cluster, then shared by all its series.
  const base = input.clusters.map((r) =>
    labelPairs({ cluster_id: r.id, cluster: r.name, provider: r.provider, region: r.region ?? '' }),
  );
  for (const [family, samples] of [...MESH, ...RESOURCES]) {
    let chunk = familyHeader(family.name, family.type, family.help);
    for (let i = 0; i < input.clusters.length; i++) {
      const b = base[i]!;
      for (const [extra, value] of samples(input.clusters[i]!, ctx))
        chunk += `${family.name}{${b}${extra ? `,${extra}` : ''}} ${formatValue(value)}\n`;
    }
    yield chunk;
  }
  let fleet = familyHeader(FLEET_FAMILIES.openAlerts.name, 'gauge', FLEET_FAMILIES.openAlerts.help);
  for (const s of ALERT_SEVERITIES)
    fleet += `${FLEET_FAMILIES.openAlerts.name}{severity="${s}"} ${input.fleetAlerts[s] ?? 0}\n`;
  fleet += familyHeader(FLEET_FAMILIES.clusters.name, 'gauge', FLEET_FAMILIES.clusters.help);
  fleet += `${FLEET_FAMILIES.clusters.name} ${input.clusters.length}\n`;
  yield fleet;
}
