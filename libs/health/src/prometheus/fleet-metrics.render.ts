// Turns the stored per-cluster rows into exposition text, one family at a time (the format wants a
// family's samples together): one pass over the rows per family, written into fixed-size buffers
// that the caller streams out, so the whole body is never held. At 10,000 clusters a scrape is
// some 230,000 lines: the constant parts (names, each cluster's labels, state suffixes) are
// encoded once and copied, so building a line allocates only its value's digits.
import { ExpositionBuffer } from './exposition-buffer';
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
  /** The stored resource block's `proxy` summary (resources.schema.ts); null without resource figures. */
  proxyResources: StoredProxyResources | null;
  /** The stored block's `controlPlane` rows (≤ 8 components); null without resource figures. */
  controlPlaneResources: StoredControlPlaneResources[] | null;
  /**
   * Proxy memory ÷ application memory over the cluster's measured meshed pods: from the stored
   * namespaces when they cover the whole cluster (not truncated) and application memory was measured.
   */
  proxyMemoryOverhead: number | null;
  /** Drift findings of the latest report's drift check; null without one. */
  driftCount: number | null;
}

/** The fields of the stored proxy summary the endpoint reads (bytes, cores, counts). */
export interface StoredProxyResources {
  cpu?: unknown;
  mem?: unknown;
  p50?: unknown;
  p95?: unknown;
  max?: unknown;
  oomKilled?: unknown;
  restarts?: unknown;
}

/** One stored control-plane component row (cpu/mem null without metrics-server; limit absent when unset). */
export interface StoredControlPlaneResources {
  component?: unknown;
  cpu?: unknown;
  mem?: unknown;
  limit?: unknown;
  limitRatio?: unknown;
  restarts?: unknown;
}

export interface FleetMetricsInput {
  clusters: ClusterMetricsRow[];
  /** Firing alerts of the whole organization by severity (CRITICAL, WARNING, INFO). */
  fleetAlerts: Record<string, number>;
  now: Date;
  /** Reports generated before this are stale: the cluster's health is UNKNOWN (as in the API). */
  freshAfter: Date;
}

/** Writes one sample of the current family for the current cluster. */
interface Lines {
  /** `extra`: labels after the cluster's, pre-encoded with their leading comma, or as text. */
  sample(extra: Buffer | string | null, value: number): void;
}

/** A family's samples for one cluster. */
type ClusterLines = (r: ClusterMetricsRow, out: Lines, ctx: RenderContext) => void;

interface RenderContext {
  nowMs: number;
  freshAfterMs: number;
  /** Encoded component labels of this scrape. */
  components: Map<string, Buffer>;
}

const maybe = (out: Lines, x: number | null | undefined): void => {
  if (x !== null && x !== undefined) out.sample(null, x);
};

/** The health the API shows: the stored status only while the agent is connected and the report fresh. */
export function shownHealth(row: ClusterMetricsRow, freshAfterMs: number): string {
  if (row.status !== 'CONNECTED' || !row.health || row.generatedAtMs === null) return 'UNKNOWN';
  return row.generatedAtMs >= freshAfterMs ? row.health : 'UNKNOWN';
}

/** `,label="value"` of each state of a state set, encoded once. */
const suffixes = (label: string, states: readonly string[]) =>
  states.map((s) => [s, Buffer.from(`,${label}="${s}"`)] as const);
const HEALTH_SUFFIXES = suffixes('state', HEALTH_STATES);
const AGENT_SUFFIXES = suffixes('status', AGENT_STATES);
const SEVERITY_SUFFIXES = suffixes('severity', ALERT_SEVERITIES);
const ROLE_SUFFIXES = suffixes('role', CERTIFICATE_ROLES);
const [RESULT_ERROR, RESULT_WARNING] = suffixes('result', ['error', 'warning']).map(([, b]) => b);

const MESH: [FamilyDef, ClusterLines][] = [
  [
    MESH_FAMILIES.info,
    (r, out) =>
      out.sample(
        labelPairs({
          cluster_id: r.id,
          linkerd_version: r.controlPlaneVersion ?? '',
          agent_version: r.agentVersion ?? '',
          kubernetes_version: r.kubernetesVersion ?? '',
          proxy_skew: r.proxySkew ?? '',
          mode: r.mode,
        }),
        1,
      ),
  ],
  [
    MESH_FAMILIES.agentStatus,
    (r, out) => {
      for (const [s, suffix] of AGENT_SUFFIXES) out.sample(suffix, r.status === s ? 1 : 0);
    },
  ],
  [
    MESH_FAMILIES.healthStatus,
    (r, out, c) => {
      const shown = shownHealth(r, c.freshAfterMs);
      for (const [s, suffix] of HEALTH_SUFFIXES) out.sample(suffix, shown === s ? 1 : 0);
    },
  ],
  [
    MESH_FAMILIES.failingChecks,
    (r, out) => {
      if (r.errorCount === null) return;
      out.sample(RESULT_ERROR!, r.errorCount);
      out.sample(RESULT_WARNING!, r.warningCount ?? 0);
    },
  ],
  [MESH_FAMILIES.podCoverage, (r, out) => maybe(out, r.podCoverage)],
  [MESH_FAMILIES.trafficCoverage, (r, out) => maybe(out, r.trafficCoverage)],
  [MESH_FAMILIES.meshedPods, (r, out) => maybe(out, r.meshedPods)],
  [MESH_FAMILIES.pods, (r, out) => maybe(out, r.totalPods)],
  [
    MESH_FAMILIES.certificateExpiry,
    (r, out) => {
      const byRole = r.certificateExpiryByRole;
      if (!byRole) return;
      for (const [role, suffix] of ROLE_SUFFIXES) {
        const at = byRole[role] ? Date.parse(byRole[role]) : NaN;
        if (Number.isFinite(at)) out.sample(suffix, at / 1000);
      }
    },
  ],
  [
    MESH_FAMILIES.openAlerts,
    (r, out) => {
      const n = [r.alertsCritical, r.alertsWarning, r.alertsInfo];
      SEVERITY_SUFFIXES.forEach(([, suffix], i) => out.sample(suffix, n[i] ?? 0));
    },
  ],
  [
    MESH_FAMILIES.reportTimestamp,
    (r, out) => maybe(out, r.generatedAtMs === null ? null : r.generatedAtMs / 1000),
  ],
  [MESH_FAMILIES.driftFindings, (r, out) => maybe(out, r.driftCount)],
  [
    MESH_FAMILIES.reportAge,
    (r, out, c) =>
      maybe(out, r.generatedAtMs === null ? null : Math.max(0, (c.nowMs - r.generatedAtMs) / 1000)),
  ],
];

// --- Proxy and control-plane resources -------------------------------------------------------
// From the stored resource block (validated at ingest; read again defensively so one odd row
// cannot break the scrape: anything but a finite non-negative number is left out).
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : null);

const [QUANTILE_P50, QUANTILE_P95, QUANTILE_MAX] = suffixes('quantile', ['0.5', '0.95', '1']).map(
  ([, b]) => b,
);

/** `,component="…"` per component name, encoded once per scrape (≤ 8 per cluster, mostly the same). */
function componentSuffix(cache: Map<string, Buffer>, component: string): Buffer {
  let b = cache.get(component);
  if (!b) {
    b = Buffer.from(`,${labelPairs({ component })}`);
    cache.set(component, b);
  }
  return b;
}

const proxyLine =
  (field: keyof StoredProxyResources): ClusterLines =>
  (r, out) =>
    maybe(out, num(r.proxyResources?.[field]));

const controlPlaneLine =
  (field: 'cpu' | 'mem' | 'limit' | 'limitRatio'): ClusterLines =>
  (r, out, c) => {
    for (const cp of r.controlPlaneResources ?? []) {
      const v = num(cp[field]);
      if (v !== null && typeof cp.component === 'string' && cp.component)
        out.sample(componentSuffix(c.components, cp.component), v);
    }
  };

const RESOURCE_LINES: Record<keyof typeof RESOURCE_FAMILIES, ClusterLines> = {
  proxyMemory: (r, out) => {
    const p = r.proxyResources;
    if (!p) return;
    const q: [Buffer, unknown][] = [
      [QUANTILE_P50!, p.p50],
      [QUANTILE_P95!, p.p95],
      [QUANTILE_MAX!, p.max],
    ];
    for (const [suffix, x] of q) {
      const v = num(x);
      if (v !== null) out.sample(suffix, v);
    }
  },
  proxiesMemory: proxyLine('mem'),
  proxiesCpu: proxyLine('cpu'),
  memoryOverhead: (r, out) => maybe(out, num(r.proxyMemoryOverhead)),
  proxyOomKilled: proxyLine('oomKilled'),
  proxyRestarts: proxyLine('restarts'),
  controlPlaneMemory: controlPlaneLine('mem'),
  controlPlaneMemoryLimit: controlPlaneLine('limit'),
  controlPlaneMemoryLimitRatio: controlPlaneLine('limitRatio'),
  controlPlaneCpu: controlPlaneLine('cpu'),
  // Restarts come from pod status, known with or without metrics-server: absent in the block means 0.
  controlPlaneRestarts: (r, out, c) => {
    for (const cp of r.controlPlaneResources ?? [])
      if (typeof cp.component === 'string' && cp.component)
        out.sample(componentSuffix(c.components, cp.component), num(cp.restarts) ?? 0);
  },
};

const RESOURCES: [FamilyDef, ClusterLines][] = (
  Object.keys(RESOURCE_FAMILIES) as (keyof typeof RESOURCE_FAMILIES)[]
).map((k) => [RESOURCE_FAMILIES[k], RESOURCE_LINES[k]]);

const CLOSE = Buffer.from('} ');
const NEWLINE = Buffer.from('\n');

/** The exposition text in chunks (UTF-8), in family order; every declared family appears, samples or not. */
export function* renderFleetMetrics(input: FleetMetricsInput): Generator<Buffer> {
  const ctx: RenderContext = {
    nowMs: input.now.getTime(),
    freshAfterMs: input.freshAfter.getTime(),
    components: new Map(),
  };
  // The cluster labels are escaped and encoded once per cluster, then copied into all its series.
  const base = input.clusters.map((r) =>
    Buffer.from(labelPairs({ cluster: r.name, provider: r.provider, region: r.region ?? '' })),
  );
  const w = new ExpositionBuffer();
  let open = Buffer.alloc(0);
  let labels = Buffer.alloc(0);
  const out: Lines = {
    sample(extra, value) {
      w.bytes(open);
      w.bytes(labels);
      if (typeof extra === 'string') {
        if (extra) w.text(`,${extra}`);
      } else if (extra) w.bytes(extra);
      w.bytes(CLOSE);
      w.text(formatValue(value));
      w.bytes(NEWLINE);
    },
  };
  for (const [family, lines] of [...MESH, ...RESOURCES]) {
    w.text(familyHeader(family.name, family.type, family.help));
    open = Buffer.from(`${family.name}{`);
    for (let i = 0; i < input.clusters.length; i++) {
      labels = base[i]!;
      lines(input.clusters[i]!, out, ctx);
      // A family may span chunks; families never interleave.
      if (w.full()) yield w.take();
    }
  }
  w.text(familyHeader(FLEET_FAMILIES.openAlerts.name, 'gauge', FLEET_FAMILIES.openAlerts.help));
  for (const s of ALERT_SEVERITIES)
    w.text(`${FLEET_FAMILIES.openAlerts.name}{severity="${s}"} ${input.fleetAlerts[s] ?? 0}\n`);
  w.text(familyHeader(FLEET_FAMILIES.clusters.name, 'gauge', FLEET_FAMILIES.clusters.help));
  w.text(`${FLEET_FAMILIES.clusters.name} ${input.clusters.length}\n`);
  yield w.take();
}
