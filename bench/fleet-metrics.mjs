// Fleet metrics benchmark: GET /metrics/fleet (the tenant's Prometheus endpoint) over one
// organization of N clusters with stored health and firing alerts. The rows are generated in
// Postgres (generate_series) with the columns the ingest derives and a resource block; the
// endpoint never reads the report, so the report column holds an empty object. Prints scrape latency, body size, series
// count, the API's CPU per scrape and its memory (RSS) before and after the scrapes.
// Usage: node bench/fleet-metrics.mjs [--clusters 10000] [--samples 20] [--warmup 3] [--keep]
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import {
  cpuSecondsOf,
  freshDatabase,
  insertApiKey,
  loadNote,
  numArg,
  recordResults,
  serviceEnv,
  startApiProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const CLUSTERS = numArg('clusters', 10_000);
const SAMPLES = numArg('samples', 20);
const WARMUP = numArg('warmup', 3);
const KEEP = process.argv.includes('--keep');
const GOAL_MS = 1000;

/**
 * The stored resource block of cluster k (as resources.schema.ts): a proxy summary, the 10 top
 * proxies, 5 namespaces (every 3rd cluster has more, so truncated) and the three core control-plane
 * components; every 4th cluster without metrics-server (no control-plane usage, no app memory).
 * About the size the agent sends for a big cluster.
 */
const RESOURCES_SQL = `jsonb_build_object(
  'source', CASE WHEN k % 4 = 0 THEN 'proxy-metrics' ELSE 'metrics-api' END, 'sampled', k % 4 = 0,
  'proxy', jsonb_build_object('pods', meshed, 'meshedPods', meshed, 'cpu', round(meshed * 0.004, 3),
    'mem', meshed::bigint * (18000000 + k % 5000000), 'p50', 18000000 + k % 5000000, 'p95', 26000000 + k % 5000000,
    'max', 30000000 + k % 40000000, 'overLimit', (k % 13 = 0)::int, 'oomKilled', (k % 29 = 0)::int,
    'restarts', (k % 17)::int),
  'top', (SELECT jsonb_agg(jsonb_build_object('ns', 'team-' || j, 'pod', 'web-' || k || '-7d9f8c6b5-' || lpad(j::text, 5, 'x'),
    'cpu', 0.01, 'mem', 30000000 - j * 100000)) FROM generate_series(1, 10) j),
  'namespaces', (SELECT jsonb_agg(jsonb_build_object('ns', 'team-' || j, 'pods', meshed / 5, 'cpu', 0.01,
    'mem', (meshed / 5)::bigint * 20000000, 'appMem', CASE WHEN k % 4 = 0 THEN 0 ELSE (meshed / 5)::bigint * 90000000 END,
    'overhead', CASE WHEN k % 4 = 0 THEN NULL ELSE 0.222 END)) FROM generate_series(1, 5) j),
  'namespacesTruncated', k % 3 = 0,
  'controlPlane', jsonb_build_array(
    jsonb_build_object('component', 'destination', 'pods', 2, 'cpu', CASE WHEN k % 4 = 0 THEN NULL ELSE 0.02 END,
      'mem', CASE WHEN k % 4 = 0 THEN NULL ELSE 150000000 + k % 90000000 END, 'limit', 262144000, 'restarts', k % 3),
    jsonb_build_object('component', 'identity', 'pods', 1, 'cpu', CASE WHEN k % 4 = 0 THEN NULL ELSE 0.002 END,
      'mem', CASE WHEN k % 4 = 0 THEN NULL ELSE 20000000 END),
    jsonb_build_object('component', 'proxy-injector', 'pods', 1, 'cpu', CASE WHEN k % 4 = 0 THEN NULL ELSE 0.004 END,
      'mem', CASE WHEN k % 4 = 0 THEN NULL ELSE 40000000 END, 'limit', 262144000)))`;

/** Seeds one organization with N clusters, their health and a firing alert on every 10th, in SQL. */
async function seedFleet(url, n) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const org = (
      await c.query(
        `INSERT INTO "Organization" (id, name, "updatedAt") VALUES (gen_random_uuid(), 'bench-metrics', now()) RETURNING id`,
      )
    ).rows[0].id;
    await c.query(
      `INSERT INTO "Cluster" (id, "organizationId", name, provider, region, status, "updatedAt", "enrolledAt",
         "lastSeenAt", "agentVersion", "kubernetesVersion")
       SELECT gen_random_uuid(), $1, 'cluster-' || lpad(i::text, 6, '0'),
         (ARRAY['EKS','AKS','GKE','ONPREM','OTHER'])[1 + i % 5]::"CloudProvider",
         (ARRAY['us-east-1','eu-west-1','westeurope','europe-west4','dc1','dc2','ap-southeast-1'])[1 + i % 7],
         (CASE WHEN i % 40 = 0 THEN 'OFFLINE' ELSE 'CONNECTED' END)::"ClusterStatus", now(),
         now() - interval '30 days', now(), '0.1.0', 'v1.31.2'
       FROM generate_series(0, $2::int - 1) AS i`,
      [org, n],
    );
    await c.query(
      `INSERT INTO "ClusterHealth" ("clusterId", "organizationId", sequence, "generatedAt", "receivedAt", status,
         "linkerdInstalled", "controlPlaneVersion", "podCoverage", "trafficCoverage", "requestCoverage",
         "meshedPods", "totalPods", "errorCount", "warningCount", "earliestCertExpiry", "proxySkew",
         "trustAnchorFingerprints", "trustAnchorSubjects", "certificateExpiryByRole", resources, report)
       SELECT c.id, $1, 1, now() - (k % 55) * interval '1 second', now(),
         (ARRAY['HEALTHY','HEALTHY','HEALTHY','HEALTHY','DEGRADED','UNHEALTHY','HEALTHY','HEALTHY'])[1 + k % 8]::"HealthStatus",
         true, (ARRAY['enterprise-2.19.1','edge-26.6.3','edge-26.5.1','stable-2.14.10'])[1 + k % 4],
         meshed::float8 / total, 0.8 + (k % 20) / 100.0, 0.8 + (k % 20) / 100.0, meshed, total,
         (k % 8 = 5)::int, (k % 8 = 4)::int, now() + (10 + k % 300) * interval '1 day', 'none', '[]', '[]',
         jsonb_build_object('trust-anchor', to_char(now() + interval '3000 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'issuer', to_char(now() + (10 + k % 300) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'webhook', to_char(now() + (20 + k % 340) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
         ${RESOURCES_SQL},
         '{}'::jsonb
       FROM (SELECT id, row_number() OVER (ORDER BY name) AS k FROM "Cluster" WHERE "organizationId" = $1) c,
         LATERAL (SELECT 20 + (c.k % 400)::int AS total) t, LATERAL (SELECT total - (c.k % 7)::int AS meshed) m`,
      [org],
    );
    await c.query(
      `INSERT INTO "Alert" (id, "organizationId", kind, fingerprint, "clusterId", subject, severity, summary)
       SELECT gen_random_uuid(), $1, 'CERTIFICATE_EXPIRING', 'bench-' || c.id, c.id, 'issuer',
         (ARRAY['INFO','WARNING','CRITICAL'])[1 + k % 3], 'bench alert'
       FROM (SELECT id, row_number() OVER (ORDER BY name) AS k FROM "Cluster" WHERE "organizationId" = $1) c
       WHERE k % 10 = 0`,
      [org],
    );
    await c.query('ANALYZE');
    return org;
  } finally {
    await c.end();
  }
}

/** Resident and peak-resident memory of a process in bytes, from /proc (Linux; nulls elsewhere). */
function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: null, peak: null };
  }
}

/** One scrape to the end of the body: { ms, bytes, text? }. */
function scrape(url, key, agent, keepText = false, gzip = false) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const headers = { authorization: `Bearer ${key}`, 'accept-encoding': gzip ? 'gzip' : 'identity' };
    const req = http.get(`${url}/metrics/fleet`, { agent, headers }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (ch) => {
        bytes += ch.length;
        if (keepText) chunks.push(ch);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`scrape answered ${res.statusCode}`));
        resolve({
          ms: performance.now() - t,
          bytes,
          text: keepText ? Buffer.concat(chunks).toString() : null,
        });
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
  });
}

const mib = (b) => (b === null || Number.isNaN(b) ? 'n/a' : `${Math.round((b / 2 ** 20) * 10) / 10} MiB`);

async function main() {
  const db = await freshDatabase('fleet_metrics');
  let api;
  const disarm = watchdog(10 * 60_000, async () => {
    api?.kill();
    await db.drop();
  });
  try {
    console.error(`seeding ${CLUSTERS} clusters with stored health…`);
    const t0 = performance.now();
    const org = await seedFleet(db.url, CLUSTERS);
    console.error(`seeded in ${Math.round((performance.now() - t0) / 100) / 10} s`);
    const apiKey = await insertApiKey(db.url, org, 'bench-fleet-metrics');
    api = await startApiProcess(
      serviceEnv(db.url, `mf_bench_metrics_${Date.now()}_${randomBytes(2).toString('hex')}`, {
        MESHFLEET_GRAPHQL_IDE: 'false',
      }),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const loadAtStart = loadNote();
    const before = memoryOf(api.pid);
    const first = await scrape(api.url, apiKey, agent, true);
    const lines = first.text.split('\n');
    const series = lines.filter((l) => l && !l.startsWith('#')).length;
    const families = lines.filter((l) => l.startsWith('# TYPE ')).length;
    console.error(
      `first scrape: ${Math.round(first.ms)} ms, ${mib(first.bytes)}, ${series} series in ${families} families`,
    );
    const afterFirst = memoryOf(api.pid);
    for (let i = 0; i < WARMUP; i++) await scrape(api.url, apiKey, agent);
    console.error(`measuring ${SAMPLES} sequential scrapes…`);
    const c0 = cpuSecondsOf(api.pid);
    const lat = [];
    for (let i = 0; i < SAMPLES; i++) lat.push((await scrape(api.url, apiKey, agent)).ms);
    const c1 = cpuSecondsOf(api.pid);
    // As Prometheus scrapes: gzip accepted (the body's arrival is timed, not its decompression).
    const zipped = [];
    let zippedBytes = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const r = await scrape(api.url, apiKey, agent, false, true);
      zipped.push(r.ms);
      zippedBytes = r.bytes;
    }
    const c2 = cpuSecondsOf(api.pid);
    const afterScrapes = memoryOf(api.pid);
    const loadAtEnd = loadNote();
    const s = summarize(lat);
    const z = summarize(zipped);
    recordResults('fleet-metrics', [
      {
        figure: `GET /metrics/fleet, ${CLUSTERS} clusters: p50 / p99 / max ms (${SAMPLES} sequential, whole body)`,
        value: `${s.p50} / ${s.p99} / ${s.max}`,
        goal: `p99 < ${GOAL_MS}`,
        meets: s.p99 < GOAL_MS,
      },
      {
        figure: `the same with gzip accepted (as Prometheus asks): p50 / p99 / max ms`,
        value: `${z.p50} / ${z.p99} / ${z.max}`,
        goal: `p99 < ${GOAL_MS}`,
        meets: z.p99 < GOAL_MS,
      },
      {
        figure: 'body size plain / gzip, series, families',
        value: `${mib(first.bytes)} / ${mib(zippedBytes)}, ${series}, ${families}`,
      },
      {
        figure: 'API process CPU ms per scrape, plain / gzip (from /proc)',
        value:
          c0 === null
            ? 'n/a'
            : `${Math.round(((c1 - c0) / SAMPLES) * 1000)} / ${Math.round(((c2 - c1) / SAMPLES) * 1000)}`,
      },
      {
        figure: `API RSS before the first scrape / after it / after ${WARMUP + 2 * SAMPLES} more / peak (VmHWM)`,
        value: `${mib(before.rss)} / ${mib(afterFirst.rss)} / ${mib(afterScrapes.rss)} / ${mib(afterScrapes.peak)}`,
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ]);
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
