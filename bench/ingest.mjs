// Ingestion benchmark: one API process carrying N simulated agents (heartbeat every 15 s,
// report every 60 s), next to raw Postgres upserts and Redis round trips measured in the same run,
// and the API's memory with M agents long-polling.
// Usage: node bench/ingest.mjs [--clusters 25000] [--seconds 30] [--pollers 10000]
import http from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { freshDatabase, recordResults, REDIS_URL, seedClusters, startApiProcess, summarize } from './lib.mjs';

const require = createRequire(import.meta.url);
const { exampleHealthReport, PROTOCOL_VERSION } = require('../libs/agent-protocol/dist/src/index.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CLUSTERS = arg('clusters', 25_000);
const SECONDS = arg('seconds', 30);
const POLLERS = arg('pollers', 10_000);
const HB_RATE = CLUSTERS / 15;
const REPORT_RATE = CLUSTERS / 60;

function realisticReport() {
  const r = exampleHealthReport();
  const ns0 = r.mtls.namespaces[0];
  r.mtls.namespaces = Array.from({ length: 12 }, (_, i) => ({
    ...ns0,
    name: `team-${i}`,
    workloads: Array.from({ length: 6 }, (_, j) => ({ ...ns0.workloads[0], name: `svc-${j}` })),
  }));
  return r;
}
const REPORT = realisticReport();
const REPORT_BYTES = Buffer.byteLength(JSON.stringify(REPORT));

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(base, path, body, credential) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      `${base}/agent/v1${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
          authorization: `Bearer ${credential}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Open-loop load: fires at the target rate for the duration, capped in flight. */
async function drive(rate, seconds, fire, maxInFlight = 512) {
  const lat = [];
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  let sent = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const pending = new Set();
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due) {
      sent++;
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      inFlight++;
      const p = fire(sent)
        .then((r) => (r.status >= 200 && r.status < 300 ? lat.push(r.ms) : errors++))
        .catch(() => errors++)
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  return { ...summarize(lat), perSecond: Math.round(lat.length / elapsed), errors, skipped };
}

async function rawPostgres(url, seconds) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const { rows } = await pool.query(`SELECT id, "organizationId" FROM "Cluster" LIMIT 5000`);
  const payload = JSON.stringify(REPORT);
  let i = 0;
  const r = await drive(
    100_000,
    seconds,
    async () => {
      const c = rows[i++ % rows.length];
      const t = performance.now();
      await pool.query(
        `INSERT INTO "ClusterHealth" ("clusterId","organizationId",sequence,"generatedAt",status,"linkerdInstalled","meshedPods","totalPods","errorCount","warningCount",report)
       VALUES ($1,$2,$3,now(),'HEALTHY',true,4,4,0,0,$4::jsonb)
       ON CONFLICT ("clusterId") DO UPDATE SET sequence = EXCLUDED.sequence, report = EXCLUDED.report, "receivedAt" = now()`,
        [c.id, c.organizationId, i, payload],
      );
      return { status: 200, ms: performance.now() - t };
    },
    10,
  );
  await pool.end();
  return r;
}

async function rawRedis(seconds) {
  const redis = new Redis(REDIS_URL);
  let i = 0;
  const r = await drive(
    200_000,
    seconds,
    async () => {
      const t = performance.now();
      await redis.zadd('mf_bench:presence', Date.now(), `c${i++ % 25000}`);
      return { status: 200, ms: performance.now() - t };
    },
    64,
  );
  await redis.del('mf_bench:presence');
  redis.disconnect();
  return r;
}

async function main() {
  const db = await freshDatabase('ingest');
  let api;
  try {
    console.error(`seeding ${CLUSTERS} enrolled clusters…`);
    const { creds } = await seedClusters(db.url, CLUSTERS);
    console.error('raw baselines…');
    const pgRaw = await rawPostgres(db.url, Math.min(10, SECONDS));
    const redisRaw = await rawRedis(Math.min(5, SECONDS));
    api = await startApiProcess({
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '20',
      MESHFLEET_REDIS_PREFIX: `mf_bench_${Date.now()}`,
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
    });
    // Steady state first: every agent has been seen once (this is also a reconnect storm after a
    // Redis loss, when every agent's next heartbeat is "new").
    console.error(`warm-up: one heartbeat from each of ${CLUSTERS} agents…`);
    const warmStart = performance.now();
    for (let i = 0; i < creds.length; i += 64) {
      await Promise.all(
        creds
          .slice(i, i + 64)
          .map((c) => post(api.url, '/heartbeat', { agentVersion: 'bench', uptimeSeconds: 1 }, c.credential)),
      );
    }
    const reconnectSeconds = (performance.now() - warmStart) / 1000;
    console.error(
      `driving ${Math.round(HB_RATE)} heartbeats/s + ${Math.round(REPORT_RATE)} reports/s for ${SECONDS} s…`,
    );
    let seq = Date.now();
    const [hb, rep] = await Promise.all([
      drive(HB_RATE, SECONDS, (n) =>
        post(
          api.url,
          '/heartbeat',
          { agentVersion: 'bench', uptimeSeconds: n },
          creds[n % creds.length].credential,
        ),
      ),
      drive(REPORT_RATE, SECONDS, (n) =>
        post(
          api.url,
          '/reports',
          { ...REPORT, sequence: seq++, generatedAt: new Date().toISOString() },
          creds[(n * 7) % creds.length].credential,
        ),
      ),
    ]);
    const rssBefore = await api.rssBytes();
    console.error(`opening ${POLLERS} long-polls…`);
    const pollAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const polls = [];
    for (let i = 0; i < POLLERS; i++) {
      polls.push(
        new Promise((resolve) => {
          const req = http.request(
            `${api.url}/agent/v1/tasks/next?waitSeconds=25`,
            {
              agent: pollAgent,
              headers: {
                'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
                authorization: `Bearer ${creds[i % creds.length].credential}`,
              },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            },
          );
          req.on('error', () => resolve(0));
          req.end();
        }),
      );
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const rssPolling = await api.rssBytes();
    const statuses = await Promise.all(polls);
    const okPolls = statuses.filter((s) => s === 200).length;
    const mb = (b) => (b === null ? 'n/a' : `${Math.round(b / 2 ** 20)} MiB`);
    const rows = [
      {
        figure: `reports/s sustained (target ${Math.round(REPORT_RATE)}/s, ${Math.round(REPORT_BYTES / 1024)} KiB each)`,
        value: rep.perSecond,
        goal: `≥ ${Math.round(REPORT_RATE)}`,
        meets: rep.perSecond >= REPORT_RATE * 0.95 && rep.skipped === 0,
      },
      {
        figure: 'report latency p50 / p99 (ms)',
        value: `${rep.p50} / ${rep.p99}`,
        goal: 'p99 < 100',
        meets: rep.p99 !== null && rep.p99 < 100,
      },
      {
        figure: `heartbeats/s sustained (target ${Math.round(HB_RATE)}/s)`,
        value: hb.perSecond,
        goal: `≥ ${Math.round(HB_RATE)}`,
        meets: hb.perSecond >= HB_RATE * 0.95 && hb.skipped === 0,
      },
      {
        figure: 'heartbeat latency p50 / p99 (ms)',
        value: `${hb.p50} / ${hb.p99}`,
        goal: 'p99 < 100',
        meets: hb.p99 !== null && hb.p99 < 100,
      },
      {
        figure: 'errors / skipped (heartbeats, reports)',
        value: `${hb.errors}/${hb.skipped}, ${rep.errors}/${rep.skipped}`,
        goal: '0',
        meets: hb.errors + rep.errors + hb.skipped + rep.skipped === 0,
      },
      { figure: 'raw Postgres upserts/s of the same report (10 connections)', value: pgRaw.perSecond },
      {
        figure: 'API reports/s as a share of raw upserts/s',
        value: `${Math.round((rep.perSecond / pgRaw.perSecond) * 100)}%`,
      },
      { figure: 'raw Redis ZADD round trips/s (64 in flight)', value: redisRaw.perSecond },
      {
        figure: 'API heartbeats/s as a share of raw ZADD/s',
        value: `${Math.round((hb.perSecond / redisRaw.perSecond) * 100)}%`,
      },
      {
        figure: `reconnect storm: first heartbeat of all ${CLUSTERS} agents (s)`,
        value: Math.round(reconnectSeconds * 10) / 10,
      },
      { figure: 'API RSS after load', value: mb(rssBefore) },
      {
        figure: `API RSS with ${POLLERS} agents long-polling (${okPolls} answered)`,
        value: mb(rssPolling),
        goal: '—',
      },
    ];
    recordResults('ingest', rows);
  } finally {
    await api?.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
