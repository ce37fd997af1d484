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
  /** When the latest report was generated (epoch ms); null before the first report. */
  generatedAtMs: number | null;
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

/**
 * A family's lines for one cluster. `l` opens a line with the family name and the cluster's
 * labels; `l(extra)` adds labels after them. Written as string appends: at 10,000 clusters a
 * scrape is some 230,000 lines, and per-sample objects would cost more than the text.
 */
type ClusterLines = (
  r: ClusterMetricsRow,
  l: (extra?: string | null) => string,
  ctx: RenderContext,
) => string;

interface RenderContext {
  nowMs: number;
  freshAfterMs: number;
}

const v = formatValue;
const maybe = (l: (extra?: string | null) => string, x: number | null | undefined): string =>
  x === null || x === undefined ? '' : `${l()}${v(x)}\n`;

/** The health the API shows: the stored status only while the agent is connected and the report fresh. */
export function shownHealth(row: ClusterMetricsRow, freshAfterMs: number): string {
  if (row.status !== 'CONNECTED' || !row.health || row.generatedAtMs === null) return 'UNKNOWN';
  return row.generatedAtMs >= freshAfterMs ? row.health : 'UNKNOWN';
}

/** `,k="v"} ` suffixes of a state set, one per state, built once. */
const stateSuffixes = (label: string, states: readonly string[]) =>
  states.map((s) => [s, `,${label}="${s}"} `] as const);
const HEALTH_SUFFIXES = stateSuffixes('state', HEALTH_STATES);
const AGENT_SUFFIXES = stateSuffixes('status', AGENT_STATES);
const SEVERITY_SUFFIXES = stateSuffixes('severity', ALERT_SEVERITIES);
const ROLE_SUFFIXES = stateSuffixes('role', CERTIFICATE_ROLES);

const MESH: [FamilyDef, ClusterLines][] = [
  [
    MESH_FAMILIES.info,
    (r, l) =>
      `${l(
        labelPairs({
          linkerd_version: r.controlPlaneVersion ?? '',
          agent_version: r.agentVersion ?? '',
          kubernetes_version: r.kubernetesVersion ?? '',
          proxy_skew: r.proxySkew ?? '',
          mode: r.mode,
        }),
      )}1\n`,
  ],
  [
    MESH_FAMILIES.agentStatus,
    (r, l) => {
      let out = '';
      const open = l(null);
      for (const [s, suffix] of AGENT_SUFFIXES) out += `${open}${suffix}${r.status === s ? 1 : 0}\n`;
      return out;
    },
  ],
  [
    MESH_FAMILIES.healthStatus,
    (r, l, c) => {
      const shown = shownHealth(r, c.freshAfterMs);
      let out = '';
      const open = l(null);
      for (const [s, suffix] of HEALTH_SUFFIXES) out += `${open}${suffix}${shown === s ? 1 : 0}\n`;
      return out;
    },
  ],
  [
    MESH_FAMILIES.failingChecks,
    (r, l) =>
      r.errorCount === null
        ? ''
        : `${l('result="error"')}${r.errorCount}\n${l('result="warning"')}${r.warningCount ?? 0}\n`,
  ],
  [MESH_FAMILIES.podCoverage, (r, l) => maybe(l, r.podCoverage)],
  [MESH_FAMILIES.trafficCoverage, (r, l) => maybe(l, r.trafficCoverage)],
  [MESH_FAMILIES.meshedPods, (r, l) => maybe(l, r.meshedPods)],
  [MESH_FAMILIES.pods, (r, l) => maybe(l, r.totalPods)],
  [
    MESH_FAMILIES.certificateExpiry,
    (r, l) => {
      const byRole = r.certificateExpiryByRole;
      if (!byRole) return '';
      let out = '';
      const open = l(null);
      for (const [role, suffix] of ROLE_SUFFIXES) {
        const at = byRole[role] ? Date.parse(byRole[role]) : NaN;
        if (Number.isFinite(at)) out += `${open}${suffix}${v(at / 1000)}\n`;
      }
      return out;
    },
  ],
  [
    MESH_FAMILIES.openAlerts,
    (r, l) => {
      const open = l(null);
      const n = [r.alertsCritical, r.alertsWarning, r.alertsInfo];
      return SEVERITY_SUFFIXES.map(([, suffix], i) => `${open}${suffix}${n[i]}\n`).join('');
    },
  ],
  [
    MESH_FAMILIES.reportTimestamp,
    (r, l) => maybe(l, r.generatedAtMs === null ? null : r.generatedAtMs / 1000),
  ],
  [
    MESH_FAMILIES.reportAge,
    (r, l, c) => maybe(l, r.generatedAtMs === null ? null : Math.max(0, (c.nowMs - r.generatedAtMs) / 1000)),
  ],
];

// --- Proxy and control-plane resources -------------------------------------------------------
// Reserved families: declared on every scrape, no samples yet. When the stored health carries the
// resource summary, add its columns to ClusterMetricsRow (and the repository's SELECT) and write
// the lines here, e.g. proxyMemory: (r, l) => `${l('quantile="0.5"')}${r.proxyMemoryP50}\n` + ….
const RESOURCES: [FamilyDef, ClusterLines][] = Object.values(RESOURCE_FAMILIES).map((f) => [f, () => '']);

/** Roughly how much text is built before it is handed to the socket. */
const CHUNK_CHARS = 256 * 1024;

/** The exposition text in chunks, in family order; every declared family appears, samples or not. */
export function* renderFleetMetrics(input: FleetMetricsInput): Generator<string> {
  const ctx: RenderContext = { nowMs: input.now.getTime(), freshAfterMs: input.freshAfter.getTime() };
  // The cluster labels are escaped once per cluster, then shared by all its series.
  const base = input.clusters.map((r) =>
    labelPairs({ cluster_id: r.id, cluster: r.name, provider: r.provider, region: r.region ?? '' }),
  );
  for (const [family, lines] of [...MESH, ...RESOURCES]) {
    let chunk = familyHeader(family.name, family.type, family.help);
    const name = family.name;
    for (let i = 0; i < input.clusters.length; i++) {
      const b = base[i]!;
      // null: the caller closes the braces itself (state sets append `,label="x"} `).
      const l = (extra?: string | null) =>
        extra === null ? `${name}{${b}` : `${name}{${b}${extra ? `,${extra}` : ''}} `;
      chunk += lines(input.clusters[i]!, l, ctx);
      // Small chunks keep the live text small; a family may span chunks, never interleave.
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  let fleet = familyHeader(FLEET_FAMILIES.openAlerts.name, 'gauge', FLEET_FAMILIES.openAlerts.help);
  for (const s of ALERT_SEVERITIES)
    fleet += `${FLEET_FAMILIES.openAlerts.name}{severity="${s}"} ${input.fleetAlerts[s] ?? 0}\n`;
  fleet += familyHeader(FLEET_FAMILIES.clusters.name, 'gauge', FLEET_FAMILIES.clusters.help);
  fleet += `${FLEET_FAMILIES.clusters.name} ${input.clusters.length}\n`;
  yield fleet;
}
