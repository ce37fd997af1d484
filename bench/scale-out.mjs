// Scale-out benchmark: the report and heartbeat throughput of one API process against two API
// processes on the same Postgres and Redis, closed loop (a fixed number of agent calls in flight,
// each sent as soon as the previous one returns), so the figure is what the APIs can carry rather
// than a target rate. Agents are spread over the APIs round-robin. Every API's CPU comes from
// /proc. On a machine with few cores the APIs, Postgres, Redis and the load generator share them:
// the ratio shows what a second replica adds there, not what it adds on a second machine.
// Usage: node bench/scale-out.mjs [--clusters 2000] [--seconds 15] [--in-flight 64] [--no-record]
import http from 'node:http';
import {
  agentProtocol,
  cpuSecondsOf,
  dropRedisPrefix,
  freshDatabase,
  loadNote,
  numArg,
  realisticReport,
  recordResults,
  seedClusters,
  serviceEnv,
  startApiProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const { PROTOCOL_VERSION } = agentProtocol();
const CLUSTERS = numArg('clusters', 2000);
const SECONDS = numArg('seconds', 15);
const IN_FLIGHT = numArg('in-flight', 64);
const RECORD = !process.argv.includes('--no-record');

const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 4000 });
const { sequence: _s, generatedAt: _g, ...REPORT_REST } = realisticReport();
const REPORT_TAIL = Buffer.from(`,${JSON.stringify(REPORT_REST).slice(1)}`);
const reportBody = (sequence) => {
  const head = Buffer.from(`{"sequence":${sequence},"generatedAt":"${new Date().toISOString()}"`);
  return Buffer.concat([head, REPORT_TAIL]);
};
const HEARTBEAT_BODY = Buffer.from(JSON.stringify({ agentVersion: 'bench', uptimeSeconds: 1 }));

function post(base, path, data, credential) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request(
      `${base}/agent/v1${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
          'content-length': data.length,
          authorization: `Bearer ${credential}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ ok: res.statusCode >= 200 && res.statusCode < 300, ms: performance.now() - started }),
        );
      },
    );
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    req.end(data);
  });
}

/**
 * Closed loop over `apis` for `seconds`: IN_FLIGHT loops, each sending its next call when the last
 * one returned; loop i talks to apis[i % apis.length]. Returns calls/s, latency and the CPU each
 * API process used per call.
 */
async function closedLoop(apis, creds, seconds, call) {
  const cpu0 = apis.map((a) => cpuSecondsOf(a.pid));
  const lat = [];
  let errors = 0;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, i) => {
      const api = apis[i % apis.length];
      while (performance.now() < end) {
        const k = n++;
        const r = await call(api, creds[(k * 7919) % creds.length], k);
        if (r.ok) lat.push(r.ms);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = apis.map((a, i) => {
    const after = cpuSecondsOf(a.pid);
    return after === null || cpu0[i] === null ? null : after - cpu0[i];
  });
  const total = cpu.every((c) => c !== null) ? cpu.reduce((x, y) => x + y, 0) : null;
  return {
    ...summarize(lat),
    perSecond: Math.round(lat.length / elapsed),
    errors,
    cpuMsPerCall: total === null || lat.length === 0 ? null : Math.round((total * 1e6) / lat.length) / 1000,
    cores: total === null ? null : Math.round((total / elapsed) * 100) / 100,
  };
}

async function main() {
  const db = await freshDatabase('scale_out');
  const prefix = `mf_bench_so_${Date.now()}`;
  const apis = [];
  const disarm = watchdog((SECONDS * 4 + 180) * 1000, async () => {
    for (const a of apis) a.kill();
    await db.drop();
  });
  try {
    console.error(`seeding ${CLUSTERS} enrolled clusters…`);
    const { creds } = await seedClusters(db.url, CLUSTERS);
    const loadAtStart = loadNote();
    for (let i = 0; i < 2; i++) apis.push(await startApiProcess(serviceEnv(db.url, prefix)));
    // Every agent seen once, so the measured heartbeats are the steady-state kind.
    for (let i = 0; i < creds.length; i += 64)
      await Promise.all(
        creds
          .slice(i, i + 64)
          .map((c, j) => post(apis[j % 2].url, '/heartbeat', HEARTBEAT_BODY, c.credential)),
      );
    let seq = Date.now();
    const report = (api, c) => post(api.url, '/reports', reportBody(seq++), c.credential);
    const heartbeat = (api, c) => post(api.url, '/heartbeat', HEARTBEAT_BODY, c.credential);
    const phases = {};
    for (const [label, call] of [
      ['reports', report],
      ['heartbeats', heartbeat],
    ]) {
      console.error(`${label}: one API for ${SECONDS} s…`);
      const single = await closedLoop([apis[0]], creds, SECONDS, call);
      console.error(`${label}: two APIs for ${SECONDS} s…`);
      const double = await closedLoop(apis, creds, SECONDS, call);
      phases[label] = { single, double };
      console.error(`  ${label}: ${single.perSecond}/s on one API, ${double.perSecond}/s on two`);
    }
    const row = (label, k) => {
      const { single, double } = phases[k];
      return [
        {
          figure: `${label}/s, closed loop with ${IN_FLIGHT} in flight (${CLUSTERS} agents): one API / two APIs`,
          value: `${single.perSecond} / ${double.perSecond}`,
        },
        {
          figure: `${label}: two APIs ÷ one API (throughput)`,
          value: `${Math.round((double.perSecond / single.perSecond) * 100) / 100}×`,
        },
        {
          figure: `${label} latency p50 / p99 ms: one API, two APIs`,
          value: `${single.p50} / ${single.p99}, ${double.p50} / ${double.p99}`,
        },
        {
          figure: `${label}: API CPU ms per call and API cores used: one API, two APIs (both summed)`,
          value: `${single.cpuMsPerCall} ms, ${single.cores} cores; ${double.cpuMsPerCall} ms, ${double.cores} cores`,
        },
        {
          figure: `${label}: errors (one API, two APIs)`,
          value: `${single.errors}, ${double.errors}`,
          goal: '0',
          meets: single.errors + double.errors === 0,
        },
      ];
    };
    const rows = [
      ...row('reports', 'reports'),
      ...row('heartbeats', 'heartbeats'),
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadNote()}` },
    ];
    if (RECORD) recordResults('scale-out', rows);
    else for (const r of rows) console.log(`| scale-out (not recorded) | ${r.figure} | ${r.value} |`);
  } finally {
    for (const a of apis) await a.stop();
    await db.drop();
    await dropRedisPrefix(prefix).catch((e) => console.error(`Redis cleanup failed: ${e.message}`));
    disarm();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
