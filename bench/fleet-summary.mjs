// Fleet summary benchmark: GraphQL `fleetSummary` (every field) over one organization of N clusters
// whose stored health looks like a real fleet's: several providers, regions, Linkerd versions and
// trust anchors, some offline, some stale, some with certificates about to expire. Health rows are
// written straight to Postgres, with the derived columns computed by the same code the report
// ingest uses (deriveHealth), so the queries see what they would see in production.
// Usage: node bench/fleet-summary.mjs [--clusters 10000] [--samples 200] [--warmup 20]
//        [--keep] (leaves the database in place, for EXPLAIN ANALYZE of the summary's queries)
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  cpuSecondsOf,
  freshDatabase,
  graphqlClient,
  insertApiKey,
  loadNote,
  numArg,
  realisticReport,
  recordResults,
  serviceEnv,
  startApiProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const require = createRequire(import.meta.url);
const { deriveHealth, prometheusSizingOverrun } = require('../libs/linkerd/dist/src/index.js');

const CLUSTERS = numArg('clusters', 100_000);
const SAMPLES = numArg('samples', 200);
const WARMUP = numArg('warmup', 20);
const KEEP = process.argv.includes('--keep');
const GOAL_MS = 50;
const GOAL_RATIO = 3; // fleetSummary ≤ 3× a trivial query (issue 21, goal 2)
const DAY = 86_400_000;

// A deterministic generator, so runs seed the same fleet.
let seed = 42;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = (weighted) => {
  const total = weighted.reduce((a, [, w]) => a + w, 0);
  let r = rand() * total;
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return weighted.at(-1)[0];
};

const PROVIDERS = [
  ['EKS', 35],
  ['AKS', 25],
  ['GKE', 25],
  ['ONPREM', 12],
  ['OTHER', 3],
];
const REGIONS = {
  EKS: ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1'],
  AKS: ['westeurope', 'northeurope', 'eastus', 'southeastasia'],
  GKE: ['europe-west4', 'us-central1', 'asia-east1', 'europe-west1'],
  ONPREM: ['dc1', 'dc2', 'dc3'],
  OTHER: [null],
};
const VERSIONS = [
  ['enterprise-2.19.1', 20],
  ['enterprise-2.18.4', 10],
  ['edge-26.6.3', 25],
  ['edge-26.5.1', 15],
  ['edge-26.3.2', 8],
  ['stable-2.14.10', 7],
  [null, 5], // Linkerd not installed
];
// A handful of trust-anchor groups (multicluster meshes), plus a few clusters with their own.
const ANCHORS = [
  ['prod-eu', 30],
  ['prod-us', 30],
  ['staging', 20],
  ['dev', 15],
  ['own', 1],
];

function fingerprint(s) {
  return Buffer.from(s).toString('hex').padEnd(64, '0').slice(0, 64);
}

function cert(base, role, name, fp, notAfter) {
  return {
    ...base,
    role,
    name,
    subject: `CN=${name}`,
    issuer: role === 'trust-anchor' ? `CN=${name}` : 'CN=root.linkerd.cluster.local',
    isCA: role !== 'webhook',
    sha256Fingerprint: fp,
    notAfter: new Date(notAfter).toISOString(),
  };
}

/** One cluster's stored health: the report plus the derived columns the ingest writes. */
function clusterHealth(i, now) {
  const r = realisticReport();
  const base = r.certificates[0];
  const version = pick(VERSIONS);
  const health = pick([
    ['HEALTHY', 86],
    ['DEGRADED', 8],
    ['UNHEALTHY', 4],
    ['NOCHECKS', 2],
  ]);
  r.sequence = 1000 + i;
  // Most reports are fresh; 2% are stale (an agent that stopped reporting but still heartbeats).
  const ageMs = rand() < 0.02 ? (1 + rand() * 48) * 3600_000 : rand() * 55_000;
  r.generatedAt = new Date(now - ageMs).toISOString();
  r.linkerd = version
    ? {
        ...r.linkerd,
        installed: true,
        version,
        channel: version.split('-')[0],
        proxyVersions: [{ version, count: 40 }],
        skew: {
          ...r.linkerd.skew,
          controlPlane: version,
          oldestProxy: version,
          status: pick([
            ['none', 85],
            ['within-support', 12],
            ['unsupported', 2],
            ['unknown', 1],
          ]),
        },
      }
    : {
        ...r.linkerd,
        installed: false,
        version: null,
        channel: null,
        proxyVersions: [],
        skew: { ...r.linkerd.skew, controlPlane: null, status: 'unknown' },
      };
  const check = (result) => ({ description: `check ${result}`, result, fatal: result === 'error' });
  r.checks =
    health === 'NOCHECKS'
      ? { success: false, categories: [] }
      : {
          success: health !== 'UNHEALTHY',
          categories: [
            {
              name: 'linkerd-control-plane',
              checks: [
                check('success'),
                check('success'),
                ...(health === 'DEGRADED' ? [check('warning')] : []),
                ...(health === 'UNHEALTHY' ? [check('error')] : []),
              ],
            },
          ],
        };
  const total = 20 + Math.floor(rand() * 400);
  const coverage = rand() < 0.1 ? rand() : 0.9 + rand() * 0.1;
  const meshed = Math.round(total * coverage);
  r.mtls = {
    ...r.mtls,
    totalPods: total,
    meshedPods: meshed,
    podCoverage: meshed / total,
    trafficCoverage: {
      connections: null,
      requests: { tls: meshed * 10, total: total * 10, share: meshed / total },
      podsScraped: meshed,
    },
  };
  const anchor = pick(ANCHORS);
  const anchorFp = fingerprint(anchor === 'own' ? `own-${i}` : anchor);
  // Issuers are rotated yearly: 4% expire within 30 days, 0.5% have expired.
  const issuerDays = rand() < 0.005 ? -rand() * 10 : rand() < 0.04 ? rand() * 30 : 30 + rand() * 335;
  r.certificates = version
    ? [
        cert(base, 'trust-anchor', `root.${anchor}.linkerd.cluster.local`, anchorFp, now + 3000 * DAY),
        cert(
          base,
          'issuer',
          'identity.linkerd.cluster.local',
          fingerprint(`issuer-${i}`),
          now + issuerDays * DAY,
        ),
        cert(
          base,
          'webhook',
          'linkerd-proxy-injector',
          fingerprint(`inj-${i}`),
          now + (20 + rand() * 345) * DAY,
        ),
        cert(
          base,
          'webhook',
          'linkerd-sp-validator',
          fingerprint(`spv-${i}`),
          now + (20 + rand() * 345) * DAY,
        ),
      ]
    : [];
  // Resource usage as the agent reports it; viz with its bundled Prometheus on 40% of clusters.
  const proxyMem = meshed * (20 + rand() * 30) * 2 ** 20;
  r.resources = {
    source: 'metrics-api',
    sampled: false,
    proxy: {
      pods: meshed,
      meshedPods: meshed,
      cpu: meshed * rand() * 0.01,
      mem: proxyMem,
      p50: 25 * 2 ** 20,
      p95: 40 * 2 ** 20,
      max: (40 + rand() * 200) * 2 ** 20,
      overLimit: rand() < 0.05 ? 1 : 0,
      oomKilled: rand() < 0.02 ? 1 : 0,
      restarts: 0,
    },
    top: [],
    namespaces: [],
    namespacesTruncated: false,
    controlPlane: [{ component: 'destination', pods: 1, cpu: 0.01, mem: 80 * 2 ** 20 }],
    vizPrometheus:
      rand() < 0.4
        ? {
            pods: 1,
            mem: meshed * (2 + rand() * 8) * 2 ** 20,
            limit: rand() < 0.5 ? 2 ** 31 : null,
            retention: '6h',
          }
        : null,
  };
  const d = deriveHealth(r);
  return {
    resources: JSON.stringify(r.resources),
    vizPrometheusOverrun: r.resources.vizPrometheus
      ? prometheusSizingOverrun(meshed, r.resources.vizPrometheus)
      : null,
    sequence: r.sequence,
    generatedAt: r.generatedAt,
    status: d.status,
    linkerdInstalled: r.linkerd.installed,
    controlPlaneVersion: d.controlPlaneVersion,
    podCoverage: d.podCoverage,
    trafficCoverage: d.trafficCoverage,
    requestCoverage: d.requestCoverage,
    connectionCoverage: d.connectionCoverage,
    proxySkew: d.proxySkew,
    trustAnchorFingerprints: JSON.stringify(d.trustAnchorFingerprints),
    trustAnchorSubjects: JSON.stringify(d.trustAnchorSubjects),
    meshedPods: r.mtls.meshedPods,
    totalPods: r.mtls.totalPods,
    errorCount: d.errorCount,
    warningCount: d.warningCount,
    earliestCertExpiry: d.earliestCertificateExpiry ? d.earliestCertificateExpiry.notAfter : null,
    report: JSON.stringify(r),
  };
}

/** Seeds one organization with N clusters and their latest health, in batches. */
async function seedFleet(url, n) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const now = Date.now();
  try {
    const org = (
      await c.query(
        `INSERT INTO "Organization" (id, name, "updatedAt") VALUES (gen_random_uuid(), 'bench-fleet', now()) RETURNING id`,
      )
    ).rows[0].id;
    for (let start = 0; start < n; start += 500) {
      const cl = [];
      for (let i = start; i < Math.min(n, start + 500); i++) {
        const provider = pick(PROVIDERS);
        const regions = REGIONS[provider];
        const status = pick([
          ['CONNECTED', 95],
          ['OFFLINE', 3.5],
          ['PENDING', 1],
          ['DEREGISTERED', 0.5],
        ]);
        cl.push({
          name: `${provider.toLowerCase()}-${String(i).padStart(6, '0')}`,
          provider,
          region: regions[Math.floor(rand() * regions.length)],
          status,
          labels: JSON.stringify({
            env: pick([
              ['prod', 50],
              ['staging', 30],
              ['dev', 20],
            ]),
            team: `team-${Math.floor(rand() * 40)}`,
            tier: pick([
              ['core', 30],
              ['edge', 20],
              ['batch', 50],
            ]),
          }),
          health: status === 'PENDING' ? null : clusterHealth(i, now),
        });
      }
      const ids = await c.query(
        `INSERT INTO "Cluster" (id, "organizationId", name, provider, region, labels, status, "updatedAt",
           "enrolledAt", "lastSeenAt", "agentVersion", "kubernetesVersion")
         SELECT gen_random_uuid(), $1, n, p::"CloudProvider", r, l::jsonb, s::"ClusterStatus", now(),
           CASE WHEN s <> 'PENDING' THEN now() - interval '30 days' END,
           CASE WHEN s = 'CONNECTED' THEN now() WHEN s <> 'PENDING' THEN now() - interval '2 hours' END,
           CASE WHEN s <> 'PENDING' THEN '0.1.0' END, CASE WHEN s <> 'PENDING' THEN 'v1.31.2' END
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(n, p, r, l, s)
         RETURNING id, name`,
        [
          org,
          cl.map((x) => x.name),
          cl.map((x) => x.provider),
          cl.map((x) => x.region),
          cl.map((x) => x.labels),
          cl.map((x) => x.status),
        ],
      );
      const byName = new Map(ids.rows.map((r) => [r.name, r.id]));
      const h = cl.filter((x) => x.health).map((x) => ({ id: byName.get(x.name), ...x.health }));
      const col = (k) => h.map((x) => x[k]);
      await c.query(
        `INSERT INTO "ClusterHealth" ("clusterId", "organizationId", sequence, "generatedAt", "receivedAt", status,
           "linkerdInstalled", "controlPlaneVersion", "podCoverage", "trafficCoverage", "meshedPods", "totalPods",
           "errorCount", "warningCount", "earliestCertExpiry", report, "requestCoverage", "connectionCoverage",
           "proxySkew", "trustAnchorFingerprints", "trustAnchorSubjects", resources, "vizPrometheusOverrun")
         SELECT id, $1, seq, g, g, st::"HealthStatus", li, v, pc, tc, mp, tp, ec, wc, ece, rep::jsonb, rc, cc, sk,
           taf::jsonb, tas::jsonb, res::jsonb, vpo
         FROM unnest($2::uuid[], $3::bigint[], $4::timestamptz[], $5::text[], $6::boolean[], $7::text[],
           $8::float8[], $9::float8[], $10::int[], $11::int[], $12::int[], $13::int[], $14::timestamptz[], $15::text[],
           $16::float8[], $17::float8[], $18::text[], $19::text[], $20::text[], $21::text[], $22::float8[])
           AS t(id, seq, g, st, li, v, pc, tc, mp, tp, ec, wc, ece, rep, rc, cc, sk, taf, tas, res, vpo)`,
        [
          org,
          col('id'),
          col('sequence'),
          col('generatedAt'),
          col('status'),
          col('linkerdInstalled'),
          col('controlPlaneVersion'),
          col('podCoverage'),
          col('trafficCoverage'),
          col('meshedPods'),
          col('totalPods'),
          col('errorCount'),
          col('warningCount'),
          col('earliestCertExpiry'),
          col('report'),
          col('requestCoverage'),
          col('connectionCoverage'),
          col('proxySkew'),
          col('trustAnchorFingerprints'),
          col('trustAnchorSubjects'),
          col('resources'),
          col('vizPrometheusOverrun'),
        ],
      );
    }
    // Seeding 100,000 clusters takes minutes: move the reports' ages to "now", so that the fresh
    // ones are still fresh when the measuring starts (the stale 2% stay stale).
    await c.query(
      `UPDATE "ClusterHealth" SET "generatedAt" = "generatedAt" + $2 * interval '1 millisecond',
         "receivedAt" = "receivedAt" + $2 * interval '1 millisecond' WHERE "organizationId" = $1`,
      [org, Date.now() - now],
    );
    await c.query('ANALYZE');
    return org;
  } finally {
    await c.end();
  }
}

const FULL = `query($f: ClusterFilter) { fleetSummary(filter: $f, expiringWithinDays: 30) {
  health { total healthy degraded unhealthy unknown notInstalled }
  drift { clustersChecked clustersWithDrift findings }
  byProvider { provider total healthy degraded unhealthy unknown notInstalled }
  byRegion { region clusters }
  agentsOffline pendingEnrollment
  versions { version clusters proxiesLagging }
  newestRelease clustersBehindNewest clustersWithoutLinkerd
  podCoverage trafficCoverage
  worstCoverage { clusterId clusterName podCoverage trafficCoverage }
  expiringCertificates { clusterId clusterName role name notAfter expiresInDays }
  trustAnchorGroups { sha256Fingerprint subject clusterCount clusters } trustAnchorGroupCount
  resources { clustersReporting measuredProxies proxyCpuCores proxyMemoryBytes controlPlaneMemoryBytes
    proxiesNearLimit proxiesOomKilled worstClusters { clusterId clusterName memoryMaxBytes memoryBytes oomKilled } }
  vizPrometheusWarnings { clusterId clusterName meshedPods sizingBytes memoryBytes memoryLimitBytes retention reasons message }
} }`;
const VIEWER = `{ viewer { actorId kind role } }`;

async function time(n, fn) {
  const lat = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    lat.push(performance.now() - t);
  }
  return lat;
}

function p95(lat) {
  const s = [...lat].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(0.95 * s.length))] * 100) / 100;
}

async function main() {
  const db = await freshDatabase('fleet_summary');
  let api;
  const disarm = watchdog(15 * 60_000, async () => {
    api?.kill();
    await db.drop();
  });
  try {
    console.error(`seeding ${CLUSTERS} clusters with stored health…`);
    const t0 = performance.now();
    const org = await seedFleet(db.url, CLUSTERS);
    console.error(`seeded in ${Math.round((performance.now() - t0) / 1000)} s`);
    const apiKey = await insertApiKey(db.url, org, 'bench-fleet-summary');
    api = await startApiProcess(
      serviceEnv(db.url, `mf_bench_fleet_${Date.now()}_${randomBytes(2).toString('hex')}`, {
        MESHFLEET_SIMULATED_CATALOG: 'true',
        MESHFLEET_GRAPHQL_IDE: 'false',
      }),
    );
    const gql = graphqlClient(api.url, apiKey);
    const loadAtStart = loadNote();
    const filtered = { provider: 'AKS', labelSelector: 'env=prod,tier in (core,edge)' };
    const byProvider = { provider: 'AKS' };

    const sample = await gql(FULL, { f: null });
    const s = sample.fleetSummary;
    console.error(
      `summary: ${s.health.total} clusters (${s.health.healthy} healthy, ${s.health.unknown} unknown), ` +
        `${s.versions.length} versions, ${s.expiringCertificates.length} expiring certs, ` +
        `${s.trustAnchorGroups.length} anchor groups, newest ${s.newestRelease}`,
    );
    console.error(`warm-up (${WARMUP} of each)…`);
    await time(WARMUP, () => gql(VIEWER));
    await time(WARMUP, () => gql(FULL, { f: null }));
    await time(WARMUP, () => gql(FULL, { f: filtered }));
    await time(WARMUP, () => gql(FULL, { f: byProvider }));

    console.error(`measuring ${SAMPLES} sequential calls of each…`);
    // The API's own CPU per call stays meaningful when the machine is busy (wall times do not).
    const cpu = {};
    const timed = async (name, fn) => {
      const c0 = cpuSecondsOf(api.pid);
      const lat = await time(SAMPLES, fn);
      const c1 = cpuSecondsOf(api.pid);
      cpu[name] = c0 === null ? null : Math.round(((c1 - c0) / SAMPLES) * 10000) / 10;
      return lat;
    };
    const viewer = await timed('viewer', () => gql(VIEWER));
    const full = await timed('full', () => gql(FULL, { f: null }));
    const part = await timed('part', () => gql(FULL, { f: filtered }));
    const prov = await timed('provider', () => gql(FULL, { f: byProvider }));
    const loadAtEnd = loadNote();

    const fmt = (l) => {
      const x = summarize(l);
      return `${x.p50} / ${p95(l)} / ${x.p99}`;
    };
    const fullP95 = p95(full);
    const ratio = Math.round((summarize(full).p50 / summarize(viewer).p50) * 10) / 10;
    const rows = [
      {
        figure: `fleetSummary, every field, ${s.health.total} clusters: p50 / p95 / p99 ms (${SAMPLES} sequential)`,
        value: fmt(full),
        goal: `p95 < ${GOAL_MS}`,
        meets: fullP95 < GOAL_MS,
      },
      {
        figure: 'fleetSummary filtered by provider AKS (also served by the aggregates): p50 / p95 / p99 ms',
        value: fmt(prov),
        goal: `p95 < ${GOAL_MS}`,
        meets: p95(prov) < GOAL_MS,
      },
      {
        figure:
          'fleetSummary filtered by labels (provider AKS, env=prod,tier in (core,edge)): a scan of the matching clusters, p50 / p95 / p99 ms',
        value: fmt(part),
      },
      { figure: 'raw baseline: trivial query `viewer`, p50 / p95 / p99 ms', value: fmt(viewer) },
      {
        figure: 'fleetSummary p50 / viewer p50 (wall)',
        value: `${ratio}×`,
        goal: `≤ ${GOAL_RATIO}×`,
        meets: ratio <= GOAL_RATIO,
      },
      {
        figure: 'API process CPU ms per call: fleetSummary / by provider / by labels / viewer (from /proc)',
        value: `${cpu.full} / ${cpu.provider} / ${cpu.part} / ${cpu.viewer}`,
      },
      {
        figure: 'API CPU per call, fleetSummary / viewer',
        value: cpu.viewer ? `${Math.round((cpu.full / cpu.viewer) * 10) / 10}×` : 'n/a',
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('fleet-summary', rows);
  } finally {
    disarm();
    await api?.stop();
    if (KEEP) console.error(`kept database ${db.url}`);
    else await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
