// Detection benchmark: a fault in a cluster → signed alert.firing webhook at the receiver, end to
// end with real agents. An API process and a worker process on Postgres and Redis; fleet-sim in a
// process of its own runs the simulator with N clusters and one real agent each (default pacing);
// a receiver on 127.0.0.1 verifies every delivery's Standard Webhooks signature. F faults are
// injected through the simulator's fault API, alternating a control-plane crash-loop (destination
// pods) and an expired issuer, each on a cluster of its own, one every ~gap ms; each is timed from
// the moment its POST is sent to the moment its first verified alert.firing for that cluster is
// received. Where the time went is split at the stored timestamps: the report's generatedAt (agent
// detect), the health event (report → API), the alert.firing event (outbox → alert evaluation),
// the delivery row (fan-out) and the first attempt (BullMQ job and the POST, recorded when it ends).
// CPU of each process (from /proc) during the fault phase says where the machine's time went.
// Usage: node bench/detection.mjs [--clusters 100] [--faults 50] [--gap-ms 400]
//        [--fleet-cpu-prof <dir>]  (a V8 CPU profile of the fleet-sim process, written at its exit)
import http from 'node:http';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import {
  dropRedisPrefix,
  freshDatabase,
  graphqlClient,
  insertApiKey,
  loadNote,
  cpuSecondsOf,
  numArg,
  recordResults,
  ROOT,
  seedClusters,
  serviceEnv,
  sleep,
  strArg,
  startApiProcess,
  startWorkerProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const CLUSTERS = numArg('clusters', 100);
const FAULTS = Math.min(numArg('faults', 50), CLUSTERS);
const GAP_MS = numArg('gap-ms', 400);
const GOAL_MS = 3000;
const FAULT_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 300_000;
const FLEET_CPU_PROF = strArg('fleet-cpu-prof');

// Prisma stores DateTime as UTC in timestamp columns without a zone.
pg.types.setTypeParser(1114, (v) => new Date(`${v.replace(' ', 'T')}Z`));

/** One small meshed cluster (non-HA Linkerd, a meshed and an unmeshed namespace). */
function scenarioCluster(i) {
  return {
    name: `det-${String(i).padStart(3, '0')}`,
    provider: ['eks', 'aks', 'gke', 'onprem'][i % 4],
    region: 'bench-1',
    kubernetesVersion: '1.31.4',
    nodes: 2,
    linkerd: { version: 'enterprise-2.19.4', ha: false, issuerValidityDays: 365 },
    namespaces: [
      {
        name: 'shop',
        inject: 'enabled',
        workloads: [
          { name: 'web', replicas: 1, port: 8080 },
          { name: 'api', replicas: 2, port: 8080 },
        ],
      },
      { name: 'legacy', workloads: [{ name: 'billing', replicas: 1, port: 80 }] },
    ],
    traffic: [{ from: 'shop/web', to: 'shop/api', rps: 2 }],
  };
}

/** The receiver: verifies signatures, notes the first alert.firing per cluster after it is armed. */
function startReceiver() {
  // The API generates the secret when the endpoint (with this receiver's URL) is created.
  let wh = null;
  const armed = new Map(); // clusterId → resolve(arrival)
  const arrivals = new Map();
  const counts = { received: 0, verified: 0, badSignature: 0, beforeFault: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const wall = Date.now();
      counts.received++;
      const body = Buffer.concat(chunks).toString();
      let payload;
      try {
        if (!wh) throw new Error('no secret yet');
        payload = wh.verify(body, {
          'webhook-id': req.headers['webhook-id'],
          'webhook-timestamp': req.headers['webhook-timestamp'],
          'webhook-signature': req.headers['webhook-signature'],
        });
      } catch {
        counts.badSignature++;
        res.writeHead(401).end('bad signature');
        return;
      }
      counts.verified++;
      res.writeHead(200).end('ok');
      if (payload.type !== 'alert.firing') return;
      const id = payload.data?.cluster?.id;
      if (!id || arrivals.has(id)) return;
      const done = armed.get(id);
      if (!done) {
        counts.beforeFault++;
        return;
      }
      const arrival = { at, wall, alertId: payload.data.alert?.id, kind: payload.data.alert?.kind };
      arrivals.set(id, arrival);
      armed.delete(id);
      done(arrival);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hook`,
        counts,
        setSecret(secret) {
          wh = new Webhook(secret);
        },
        /** Arms the cluster; resolves with its first verified alert.firing, or null after timeoutMs. */
        arm(clusterId, timeoutMs) {
          return new Promise((res) => {
            const t = setTimeout(() => {
              armed.delete(clusterId);
              res(null);
            }, timeoutMs);
            armed.set(clusterId, (a) => {
              clearTimeout(t);
              res(a);
            });
          });
        },
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      }),
    ),
  );
}

/** Starts fleet-sim in its own process; resolves with its ready line once every agent enrolled. */
function startFleet(apiUrl, adminKey, dir) {
  const scenarioFile = join(dir, 'scenario.json');
  writeFileSync(
    scenarioFile,
    JSON.stringify({
      defaults: { podReadyDelayMs: 100 },
      clusters: Array.from({ length: CLUSTERS }, (_, i) => scenarioCluster(i)),
    }),
  );
  const child = spawn(
    process.execPath,
    [
      ...(FLEET_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${FLEET_CPU_PROF}`] : []),
      join(ROOT, 'apps/fleet-sim/dist/src/main.js'),
      '--register',
      '--scenario',
      scenarioFile,
      '--api-url',
      apiUrl,
      '--state-dir',
      join(dir, 'state'),
      '--kubeconfig-dir',
      join(dir, 'kubeconfigs'),
      '--ready-timeout-seconds',
      String(READY_TIMEOUT_MS / 1000),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, MESHFLEET_ADMIN_KEY: adminKey, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((r) => child.once('exit', r));
  const handle = {
    pid: child.pid,
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      handle.kill();
      reject(new Error('fleet-sim did not become ready'));
    }, READY_TIMEOUT_MS + 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fleet-sim exited ${code} before it was ready`));
    });
    child.stdout.on('data', (c) => {
      if (out === null) return;
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"ready":true'));
      if (!line) return;
      out = null;
      clearTimeout(timer);
      resolve({ ...handle, ready: JSON.parse(line) });
    });
  });
}

/** POST to the simulator's fault API (HTTPS, signed by the simulator's CA). */
function injectFault(url, ca, body) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(
                new Error(`fault API ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`),
              ),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function query(url, sql, params = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Per delivered fault, the stored timestamps along the path (ms after the injection). */
async function breakdown(url, delivered) {
  const rows = await query(
    url,
    `SELECT x.cluster AS id,
       (SELECT MIN(s."at") FROM "HealthSample" s WHERE s."clusterId" = x.cluster
          AND s."status" = 'UNHEALTHY' AND s."at" >= x.since) AS generated,
       (SELECT MIN(e."createdAt") FROM "DomainEvent" e WHERE e."clusterId" = x.cluster
          AND e."type" = 'cluster.health_changed' AND e."payload"->>'to' = 'UNHEALTHY'
          AND e."createdAt" >= x.since) AS stored,
       fe."createdAt" AS fired,
       d."createdAt" AS delivery,
       (SELECT MIN(t."at") FROM "WebhookAttempt" t WHERE t."deliveryId" = d."id") AS attempt
     FROM unnest($1::uuid[], $2::uuid[], $3::timestamp[]) AS x(cluster, alert, since)
     LEFT JOIN "DomainEvent" fe ON fe."type" = 'alert.firing' AND fe."payload"->>'alertId' = x.alert::text
       AND fe."createdAt" >= x.since
     LEFT JOIN "WebhookDelivery" d ON d."eventId" = fe."id"`,
    [
      delivered.map((d) => d.clusterId),
      delivered.map((d) => d.alertId),
      delivered.map((d) => new Date(d.injectedWall - 1000).toISOString().replace('T', ' ').replace('Z', '')),
    ],
  );
  const byId = new Map();
  for (const r of rows) if (!byId.has(r.id) || r.attempt) byId.set(r.id, r);
  const parts = { detect: [], report: [], evaluate: [], fanout: [], job: [] };
  for (const d of delivered) {
    const r = byId.get(d.clusterId);
    if (!r) continue;
    const ms = (t) => (t ? t.getTime() - d.injectedWall : null);
    const g = ms(r.generated);
    const s = ms(r.stored);
    const f = ms(r.fired);
    const dl = ms(r.delivery);
    const a = ms(r.attempt);
    if (g !== null) parts.detect.push(g);
    if (s !== null && g !== null) parts.report.push(s - g);
    if (f !== null && s !== null) parts.evaluate.push(f - s);
    if (dl !== null && f !== null) parts.fanout.push(dl - f);
    if (a !== null && dl !== null) parts.job.push(a - dl);
  }
  return parts;
}

async function main() {
  const db = await freshDatabase('detection');
  const redisPrefix = `mf_bench_detection_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'mf-bench-detection-'));
  let api;
  let worker;
  let fleet;
  let receiver;
  const disarm = watchdog(12 * 60_000, async () => {
    fleet?.kill();
    api?.kill();
    worker?.kill();
    await db.drop();
  });
  try {
    const { organizationId } = await seedClusters(db.url, 0);
    const adminKey = await insertApiKey(db.url, organizationId, 'bench-detection');
    const env = serviceEnv(db.url, redisPrefix, {
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
    });
    api = await startApiProcess(env);
    worker = await startWorkerProcess(env);
    const gql = graphqlClient(api.url, adminKey);
    const rules = await gql(`{ alertRules { kind forSeconds enabled } }`);
    const rule = rules.alertRules.find((r) => r.kind === 'CONTROL_PLANE_UNHEALTHY');
    const ruleNote = `CONTROL_PLANE_UNHEALTHY for = ${rule.forSeconds} s, enabled ${rule.enabled} (defaults)`;

    const t0 = performance.now();
    console.error(`starting fleet-sim with ${CLUSTERS} clusters and agents…`);
    fleet = await startFleet(api.url, adminKey, dir);
    const enrollS = ((performance.now() - t0) / 1000).toFixed(1);
    const clusters = fleet.ready.clusters;
    const kubeconfig = readFileSync(clusters[0].kubeconfig, 'utf8');
    const ca = Buffer.from(/certificate-authority-data:\s*(\S+)/.exec(kubeconfig)[1], 'base64').toString();

    console.error(
      `${clusters.length} agents enrolled in ${enrollS} s; waiting for every first healthy report…`,
    );
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const [r] = await query(
        db.url,
        `SELECT COUNT(*)::int AS n FROM "ClusterHealth" WHERE "status" IN ('HEALTHY', 'DEGRADED')`,
      );
      if (r.n >= clusters.length) break;
      if (Date.now() > deadline) throw new Error(`only ${r.n}/${clusters.length} clusters reported healthy`);
      await sleep(1000);
    }
    const settledS = ((performance.now() - t0) / 1000).toFixed(1);
    // The start-up storm (every agent listing and watching at once) dies down before faults.
    await sleep(15_000);

    // Now the endpoint: alerts from the fleet's start (first reports before pods were Ready)
    // fired into a void, and clusters with an alert already (cooldown) are not sampled.
    receiver = await startReceiver();
    const { createWebhookEndpoint } = await gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing"] }) { secret } }`,
      { u: receiver.url },
    );
    receiver.setSecret(createWebhookEndpoint.secret);
    const alerted = new Set(
      (
        await query(db.url, `SELECT DISTINCT "clusterId" AS id FROM "Alert" WHERE "clusterId" IS NOT NULL`)
      ).map((r) => r.id),
    );
    const eligible = clusters.filter((c) => !alerted.has(c.clusterId));
    if (eligible.length < FAULTS)
      throw new Error(`only ${eligible.length} clusters without an alert so far; need ${FAULTS}`);
    const targets = eligible.sort(() => Math.random() - 0.5).slice(0, FAULTS);
    const loadAtStart = loadNote();
    const pids = { fleet: fleet.pid, api: api.pid, worker: worker.pid };
    const cpuAt = () => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
    const cpuStart = cpuAt();
    const phaseStart = performance.now();

    console.error(`${FAULTS} faults, one every ~${GAP_MS} ms…`);
    const pending = [];
    const injectErrors = [];
    for (const [i, c] of targets.entries()) {
      const kind = i % 2 === 0 ? 'crashPods' : 'expireIssuer';
      const body =
        kind === 'crashPods'
          ? { kind, namespace: 'linkerd', labels: { 'linkerd.io/control-plane-component': 'destination' } }
          : { kind };
      const arrival = receiver.arm(c.clusterId, FAULT_TIMEOUT_MS);
      const injectedWall = Date.now();
      const injectedAt = performance.now();
      const injected = injectFault(c.faults, ca, body).catch((e) => injectErrors.push(e.message));
      pending.push(
        injected.then(async () => ({
          clusterId: c.clusterId,
          kind,
          injectedWall,
          injectedAt,
          arrival: await arrival,
        })),
      );
      await sleep(GAP_MS * (0.5 + Math.random()));
    }
    const results = await Promise.all(pending);
    const loadAtEnd = loadNote();
    const cpuEnd = cpuAt();
    const phaseS = (performance.now() - phaseStart) / 1000;
    const cores = (k) =>
      cpuStart[k] === null || cpuEnd[k] === null ? '?' : ((cpuEnd[k] - cpuStart[k]) / phaseS).toFixed(2);
    const delivered = results
      .filter((r) => r.arrival)
      .map((r) => ({
        clusterId: r.clusterId,
        kind: r.kind,
        alertId: r.arrival.alertId,
        alertKind: r.arrival.kind,
        injectedWall: r.injectedWall,
        arrivalWall: r.arrival.wall,
        ms: r.arrival.at - r.injectedAt,
      }));
    const lat = summarize(delivered.map((d) => d.ms));
    const byKind = (k) => summarize(delivered.filter((d) => d.kind === k).map((d) => d.ms));
    const crash = byKind('crashPods');
    const issuer = byKind('expireIssuer');
    const alertKinds = [...new Set(delivered.map((d) => d.alertKind))].join(', ');
    const parts = await breakdown(db.url, delivered);
    const p = (xs) => {
      const x = summarize(xs);
      return `${x.p50} / ${x.p99}`;
    };
    const rows = [
      {
        figure: `fault injected → verified alert.firing webhook, p50 / p95 / p99 / max ms (${delivered.length}/${FAULTS} delivered, ${CLUSTERS} clusters with real agents; ${ruleNote})`,
        value: `${lat.p50} / ${lat.p95} / ${lat.p99} / ${lat.max}`,
        goal: `p99 < ${GOAL_MS}`,
        meets: lat.p99 !== null && lat.p99 < GOAL_MS && delivered.length === FAULTS,
      },
      {
        figure: 'by fault p50 / p99 ms: control-plane crash-loop, expired issuer',
        value: `${crash.p50} / ${crash.p99}, ${issuer.p50} / ${issuer.p99}`,
      },
      {
        figure: 'split p50 / p99 ms: fault → report generated (agent detect + debounce)',
        value: p(parts.detect),
      },
      { figure: 'split: report generated → health event stored (report → API)', value: p(parts.report) },
      {
        figure: 'split: health event → alert.firing event (outbox → worker evaluation)',
        value: p(parts.evaluate),
      },
      { figure: 'split: alert.firing → delivery row (outbox fan-out)', value: p(parts.fanout) },
      {
        figure: 'split: delivery row → attempt recorded (BullMQ job + the POST to the receiver)',
        value: p(parts.job),
      },
      {
        figure: 'missed (> 30 s) / fault API errors / bad signatures / alert kinds delivered',
        value: `${FAULTS - delivered.length} / ${injectErrors.length} / ${receiver.counts.badSignature} / ${alertKinds}`,
        goal: '0 / 0 / 0',
        meets: delivered.length === FAULTS && injectErrors.length === 0 && receiver.counts.badSignature === 0,
      },
      {
        figure: 'fleet start: agents enrolled / every cluster reported healthy (s)',
        value: `${enrollS} / ${settledS}`,
      },
      {
        figure: `CPU during the fault phase (${phaseS.toFixed(0)} s): fleet-sim (simulator + ${CLUSTERS} agents) / API / worker, cores`,
        value: `${cores('fleet')} / ${cores('api')} / ${cores('worker')}`,
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('detection', rows);
  } finally {
    disarm();
    await receiver?.close();
    await fleet?.stop();
    await worker?.stop();
    await api?.stop();
    await db.drop();
    await dropRedisPrefix(redisPrefix).catch(() => 0);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
