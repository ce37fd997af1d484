// Ingestion benchmark: one API process carrying N simulated agents (heartbeat every 15 s,
// report every 60 s), next to raw Postgres upserts and Redis round trips measured in the same run,
// and the API's memory with M agents long-polling.
// It also measures the API's own CPU time per heartbeat and per report (from /proc/<pid>/stat in
// separate heartbeat-only and report-only phases), which stays meaningful when the load generator,
// Postgres and Redis share the machine's cores; the generator sends pre-serialized bodies so that
// it takes as little of those cores as it can, and reports its own CPU share. A closed-loop
// phase (64 reports in flight) measures what the API can take, against the raw upserts.
// Usage: node bench/ingest.mjs [--clusters 25000] [--seconds 30] [--pollers 10000]
//   [--cpu-seconds 10] [--raw-seconds 10] [--profile <dir>] [--api-node-options '<flags>']
//   [--no-record]   (--profile: the API runs under --cpu-prof; e.g. --api-node-options --perf-basic-prof for perf)
import http from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  agentProtocol,
  cpuSecondsOf,
  freshDatabase,
  numArg,
  realisticReport,
  recordResults,
  REDIS_URL,
  seedClusters,
  serviceEnv,
  startApiProcess,
  strArg,
  summarize,
} from './lib.mjs';

const { PROTOCOL_VERSION } = agentProtocol();

const CLUSTERS = numArg('clusters', 25_000);
const SECONDS = numArg('seconds', 30);
const POLLERS = numArg('pollers', 10_000);
const CPU_SECONDS = numArg('cpu-seconds', 10);
const RAW_SECONDS = numArg('raw-seconds', 10);
const PROFILE_DIR = strArg('profile');
// --no-record: print the figures without replacing the recorded ones (for reduced or A/B runs).
const RECORD = !process.argv.includes('--no-record');
const API_NODE_OPTIONS = [
  PROFILE_DIR && `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}`,
  strArg('api-node-options'),
]
  .filter(Boolean)
  .join(' ');
const HB_RATE = CLUSTERS / 15;
const REPORT_RATE = CLUSTERS / 60;
const GOAL_CPU_PER_CLUSTER_MINUTE_MS = 0.3; // issue 21, goal 1
const CAPACITY_IN_FLIGHT = 64;

const REPORT = realisticReport();
const REPORT_BYTES = Buffer.byteLength(JSON.stringify(REPORT));

// Idle sockets are dropped after 4 s, before the API's 5 s keep-alive timeout closes them under a
// request that is being sent (which would count as an error).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
const HEADERS = {
  'content-type': 'application/json',
  'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
};

/** POSTs a pre-serialized body (a Buffer): the generator should spend its CPU on sockets only. */
function post(base, path, data, credential) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      `${base}/agent/v1${path}`,
      {
        method: 'POST',
        agent,
        headers: { ...HEADERS, 'content-length': data.length, authorization: `Bearer ${credential}` },
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

const HEARTBEAT_BODY = Buffer.from(JSON.stringify({ agentVersion: 'bench', uptimeSeconds: 1 }));
// The report minus sequence and generatedAt, which change per request and are spliced in front.
const { sequence: _s, generatedAt: _g, ...REPORT_REST } = REPORT;
const REPORT_TAIL = Buffer.from(`,${JSON.stringify(REPORT_REST).slice(1)}`);
function reportBody(sequence) {
  const head = Buffer.from(`{"sequence":${sequence},"generatedAt":"${new Date().toISOString()}"`);
  return Buffer.concat([head, REPORT_TAIL], head.length + REPORT_TAIL.length);
}

const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Closed-loop load: `inFlight` calls at all times for the duration (what the API can take). */
async function closedLoop(seconds, fire, inFlight) {
  let ok = 0;
  let errors = 0;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      try {
        const r = await fire(n++);
        if (r.status >= 200 && r.status < 300) ok++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { perSecond: Math.round(ok / ((performance.now() - start) / 1000)), errors };
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
    const pgRaw = await rawPostgres(db.url, Math.min(RAW_SECONDS, SECONDS));
    const redisRaw = await rawRedis(Math.min(RAW_SECONDS / 2, SECONDS));
    api = await startApiProcess(
      serviceEnv(db.url, `mf_bench_${Date.now()}`, {
        ...(API_NODE_OPTIONS ? { NODE_OPTIONS: API_NODE_OPTIONS } : {}),
      }),
    );
    // Steady state first: every agent has been seen once (this is also a reconnect storm after a
    // Redis loss, when every agent's next heartbeat is "new").
    console.error(`warm-up: one heartbeat from each of ${CLUSTERS} agents…`);
    const warmStart = performance.now();
    for (let i = 0; i < creds.length; i += 64) {
      await Promise.all(
        creds.slice(i, i + 64).map((c) => post(api.url, '/heartbeat', HEARTBEAT_BODY, c.credential)),
      );
    }
    const reconnectSeconds = (performance.now() - warmStart) / 1000;
    let seq = Date.now();
    const heartbeat = (n) => post(api.url, '/heartbeat', HEARTBEAT_BODY, creds[n % creds.length].credential);
    const report = (n) =>
      post(api.url, '/reports', reportBody(seq++), creds[(n * 7) % creds.length].credential);

    // The API's CPU time per request, one kind at a time (the API does nothing else meanwhile).
    const cpuPer = async (label, rate, fire) => {
      console.error(`CPU phase: ${Math.round(rate)} ${label}/s for ${CPU_SECONDS} s…`);
      const before = cpuSecondsOf(api.pid);
      const r = await drive(rate, CPU_SECONDS, fire);
      const after = cpuSecondsOf(api.pid);
      console.error(
        `  ${r.perSecond}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.errors} errors, ${r.skipped} skipped`,
      );
      const done = r.count + r.errors;
      return before === null || after === null || done === 0
        ? null
        : Math.round(((after - before) * 1000 * 1000) / done) / 1000;
    };
    const cpuHb = await cpuPer('heartbeats', HB_RATE, heartbeat);
    const cpuRep = await cpuPer('reports', REPORT_RATE, report);
    console.error(
      `capacity phase: reports, closed loop with ${CAPACITY_IN_FLIGHT} in flight for ${CPU_SECONDS} s…`,
    );
    const capacity = await closedLoop(CPU_SECONDS, report, CAPACITY_IN_FLIGHT);
    console.error(`  ${capacity.perSecond}/s, ${capacity.errors} errors`);
    const perMinute =
      cpuHb === null || cpuRep === null ? null : Math.round((4 * cpuHb + cpuRep) * 1000) / 1000;

    console.error(
      `driving ${Math.round(HB_RATE)} heartbeats/s + ${Math.round(REPORT_RATE)} reports/s for ${SECONDS} s…`,
    );
    const apiCpu0 = cpuSecondsOf(api.pid);
    const selfCpu0 = selfCpuSeconds();
    const mixedStart = performance.now();
    const [hb, rep] = await Promise.all([
      drive(HB_RATE, SECONDS, heartbeat),
      drive(REPORT_RATE, SECONDS, report),
    ]);
    const mixedSeconds = (performance.now() - mixedStart) / 1000;
    const apiCores = apiCpu0 === null ? null : (cpuSecondsOf(api.pid) - apiCpu0) / mixedSeconds;
    const selfCores = (selfCpuSeconds() - selfCpu0) / mixedSeconds;
    const cores = (c) => (c === null ? 'n/a' : `${Math.round(c * 100) / 100} cores`);
    const rssBefore = await api.rssBytes();
    if (POLLERS > 0) console.error(`opening ${POLLERS} long-polls…`);
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
    if (POLLERS > 0) await new Promise((r) => setTimeout(r, 5000));
    const rssPolling = await api.rssBytes();
    const statuses = await Promise.all(polls);
    const okPolls = statuses.filter((s) => s === 200).length;
    const otherPolls = {}; // status (0: connection error) → count, for the ones not answered 200
    for (const st of statuses) if (st !== 200) otherPolls[st] = (otherPolls[st] ?? 0) + 1;
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
      { figure: 'API CPU ms per heartbeat (heartbeat-only phase)', value: cpuHb },
      { figure: 'API CPU ms per report (report-only phase)', value: cpuRep },
      {
        // Issue 21, goal 1: what one cluster costs the API per minute at the default intervals.
        figure: 'API CPU ms per cluster-minute (4 heartbeats + 1 report, the default 15 s / 60 s)',
        value: perMinute,
        goal: `≤ ${GOAL_CPU_PER_CLUSTER_MINUTE_MS}`,
        meets: perMinute !== null && perMinute <= GOAL_CPU_PER_CLUSTER_MINUTE_MS,
      },
      {
        figure: 'CPU used during the mixed phase: API / load generator',
        value: `${cores(apiCores)} / ${cores(selfCores)}`,
      },
      { figure: 'raw Postgres upserts/s of the same report (10 connections)', value: pgRaw.perSecond },
      {
        figure: `API reports/s, closed loop with ${CAPACITY_IN_FLIGHT} in flight (what it can take) / errors`,
        value: `${capacity.perSecond} / ${capacity.errors}`,
      },
      {
        // Issue 21, goal 1: ingestion at least half the raw upserts of the same row.
        figure: 'API reports/s (closed loop) as a share of raw upserts/s',
        value: `${Math.round((capacity.perSecond / pgRaw.perSecond) * 100)}%`,
        goal: '≥ 50%',
        meets: capacity.errors === 0 && capacity.perSecond / pgRaw.perSecond >= 0.5,
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
        figure: `API RSS with ${POLLERS} agents long-polling (${okPolls} answered${okPolls < POLLERS ? `; others by status: ${JSON.stringify(otherPolls)}` : ''})`,
        value: mb(rssPolling),
        goal: '—',
      },
    ];
    if (RECORD) recordResults('ingest', rows);
    else for (const r of rows) console.log(`| ingest (not recorded) | ${r.figure} | ${r.value} |`);
  } finally {
    await api?.stop();
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
