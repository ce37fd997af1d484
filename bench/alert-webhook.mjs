// Alert-to-webhook benchmark: N enrolled clusters whose agents heartbeat and send healthy reports
// through the real agent API (API process + worker process), a local receiver registered as a
// webhook endpoint for alert.firing. Each sample sends one cluster's failing report (control plane
// unhealthy) and times it from the moment that request is sent to the moment the receiver holds
// the alert.firing delivery for that cluster; then the cluster reports healthy again.
// The time is also split at the stored timestamps (event, alert, delivery row, attempt).
// Usage: node bench/alert-webhook.mjs [--clusters 1000] [--samples 80] [--gap-ms 1500]
//        [--poll-ms <MESHFLEET_ALERT_POLL_INTERVAL_MS, default: the API's default>]
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  agentPoster,
  dropRedisPrefix,
  freshDatabase,
  graphqlClient,
  insertApiKey,
  loadNote,
  numArg,
  realisticReport,
  recordResults,
  seedClusters,
  serviceEnv,
  sleep,
  startApiProcess,
  startWorkerProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const CLUSTERS = numArg('clusters', 1000);
const SAMPLES = Math.min(numArg('samples', 80), CLUSTERS);
const GAP_MS = numArg('gap-ms', 1500);
const POLL_MS = numArg('poll-ms', 0);
const GOAL_MS = 2000;
const SAMPLE_TIMEOUT_MS = 15_000;
const HEARTBEAT_S = 15;
const REPORT_S = 60;

// Prisma stores DateTime as UTC in timestamp columns without a zone.
pg.types.setTypeParser(1114, (v) => new Date(`${v.replace(' ', 'T')}Z`));

/** The receiver: notes when each cluster's CONTROL_PLANE_UNHEALTHY alert.firing arrives. */
function startReceiver() {
  const waiters = new Map();
  const arrivals = new Map();
  let received = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      received++;
      res.writeHead(200).end('ok');
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        if (body.type !== 'alert.firing' || body.data?.alert?.kind !== 'CONTROL_PLANE_UNHEALTHY') return;
        const id = body.data.cluster?.id;
        if (!id || arrivals.has(id)) return;
        arrivals.set(id, at);
        waiters.get(id)?.(at);
        waiters.delete(id);
      } catch {
        /* not ours */
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hook`,
        received: () => received,
        /** Resolves with the arrival time, or null after timeoutMs. */
        wait(clusterId, timeoutMs) {
          if (arrivals.has(clusterId)) return Promise.resolve(arrivals.get(clusterId));
          return new Promise((res) => {
            const t = setTimeout(() => {
              waiters.delete(clusterId);
              res(null);
            }, timeoutMs);
            waiters.set(clusterId, (at) => {
              clearTimeout(t);
              res(at);
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

function reportBody(base, sequence, healthy) {
  return {
    ...base,
    sequence,
    generatedAt: new Date().toISOString(),
    checks: {
      success: healthy,
      categories: [
        {
          name: 'linkerd-control-plane',
          checks: [
            {
              description: 'control plane pods are ready',
              result: healthy ? 'success' : 'error',
              fatal: true,
            },
          ],
        },
      ],
    },
  };
}

/** Where the time went for one sample, from the rows the run left (ms after the report was sent). */
async function breakdown(url, samples) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const ids = samples.map((s) => s.clusterId);
    const { rows } = await c.query(
      `SELECT a."clusterId" AS id,
         (SELECT MIN(e."createdAt") FROM "DomainEvent" e WHERE e."clusterId" = a."clusterId"
            AND e."type" = 'cluster.health_changed' AND e."payload"->>'to' = 'UNHEALTHY') AS event,
         a."firstFiredAt" AS fired,
         d."createdAt" AS delivery,
         (SELECT MIN(t."at") FROM "WebhookAttempt" t WHERE t."deliveryId" = d."id") AS attempt
       FROM "Alert" a
       JOIN "DomainEvent" fe ON fe."clusterId" = a."clusterId" AND fe."type" = 'alert.firing'
         AND fe."payload"->>'alertId' = a."id"::text
       LEFT JOIN "WebhookDelivery" d ON d."eventId" = fe."id"
       WHERE a."kind" = 'CONTROL_PLANE_UNHEALTHY' AND a."clusterId" = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const parts = { event: [], fired: [], delivery: [], attempt: [] };
    for (const s of samples) {
      const r = byId.get(s.clusterId);
      if (!r) continue;
      // sentAt is the wall clock when the report was sent (same machine as Postgres).
      const ms = (d) => (d ? d.getTime() - s.sentAt : null);
      const e = ms(r.event);
      const f = ms(r.fired);
      const d = ms(r.delivery);
      const a = ms(r.attempt);
      if (e !== null) parts.event.push(e);
      if (f !== null && e !== null) parts.fired.push(f - e);
      if (d !== null && f !== null) parts.delivery.push(d - f);
      if (a !== null && d !== null) parts.attempt.push(a - d);
    }
    return parts;
  } finally {
    await c.end();
  }
}

/** What the outbox carried during the run, e.g. "cluster.health_changed 2160, alert.firing 80". */
async function countEvents(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT "type" || COALESCE(' ' || ("payload"->>'from') || '→' || ("payload"->>'to'), '') AS "type", COUNT(*)::int AS n FROM "DomainEvent" GROUP BY 1 ORDER BY 2 DESC`,
    );
    return rows.map((r) => `${r.type} ${r.n}`).join(', ');
  } finally {
    await c.end();
  }
}

async function main() {
  const db = await freshDatabase('alert_webhook');
  const redisPrefix = `mf_bench_alert_${Date.now()}`;
  let api;
  let worker;
  let receiver;
  let stop = false;
  const disarm = watchdog(15 * 60_000, async () => {
    stop = true;
    api?.kill();
    worker?.kill();
    await db.drop();
  });
  try {
    console.error(`seeding ${CLUSTERS} enrolled clusters…`);
    const { organizationId, creds } = await seedClusters(db.url, CLUSTERS);
    const apiKey = await insertApiKey(db.url, organizationId, 'bench-alert-webhook');
    const env = serviceEnv(db.url, redisPrefix, {
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      ...(POLL_MS ? { MESHFLEET_ALERT_POLL_INTERVAL_MS: String(POLL_MS) } : {}),
    });
    api = await startApiProcess(env);
    worker = await startWorkerProcess(env);
    receiver = await startReceiver();
    const gql = graphqlClient(api.url, apiKey);
    const post = agentPoster(api.url, 64);
    const loadAtStart = loadNote();

    // The measured path must not wait on a `for` duration: say which one applies.
    const rules = await gql(`{ alertRules { kind forSeconds enabled } }`);
    let rule = rules.alertRules.find((r) => r.kind === 'CONTROL_PLANE_UNHEALTHY');
    let ruleNote = `rule CONTROL_PLANE_UNHEALTHY for = ${rule.forSeconds} s (the default)`;
    if (rule.forSeconds !== 0 || !rule.enabled) {
      await gql(
        `mutation { updateAlertRule(kind: CONTROL_PLANE_UNHEALTHY, input: { forSeconds: 0, enabled: true }) { kind } }`,
      );
      ruleNote = `rule CONTROL_PLANE_UNHEALTHY set to for = 0 s with updateAlertRule (was ${rule.forSeconds} s)`;
    }
    await gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing"] }) { secret } }`,
      { u: receiver.url },
    );

    const base = realisticReport();
    const seq = new Map(creds.map((c) => [c.clusterId, Date.now()]));
    const next = (id) => {
      const s = seq.get(id) + 1;
      seq.set(id, s);
      return s;
    };
    const busy = new Set();
    console.error('first healthy report of every cluster…');
    for (let i = 0; i < creds.length; i += 50) {
      await Promise.all(
        creds
          .slice(i, i + 50)
          .map((c) => post('/reports', reportBody(base, next(c.clusterId), true), c.credential)),
      );
    }
    // Background fleet: heartbeats every 15 s and healthy reports every 60 s per agent, spread out.
    const errors = { background: 0 };
    const steady = (everyS, fire) =>
      (async () => {
        const gap = (everyS * 1000) / creds.length;
        const start = performance.now();
        for (let n = 0; !stop; n++) {
          await sleep(Math.max(0, start + (n + 1) * gap - performance.now()));
          if (stop) break;
          const c = creds[n % creds.length];
          if (busy.has(c.clusterId)) continue;
          void fire(c).catch(() => errors.background++);
        }
      })();
    const heartbeats = steady(HEARTBEAT_S, (c) =>
      post('/heartbeat', { agentVersion: 'bench', uptimeSeconds: 1 }, c.credential),
    );
    const reports = steady(REPORT_S, (c) =>
      post('/reports', reportBody(base, next(c.clusterId), true), c.credential),
    );
    console.error('letting the first reports settle (10 s)…');
    await sleep(10_000);

    console.error(`${SAMPLES} samples, one every ~${GAP_MS} ms…`);
    const order = [...creds].sort(() => Math.random() - 0.5).slice(0, SAMPLES);
    const samples = [];
    let missed = 0;
    for (const c of order) {
      busy.add(c.clusterId);
      const sentAt = Date.now();
      const t0 = performance.now();
      const r = await post('/reports', reportBody(base, next(c.clusterId), false), c.credential);
      if (r.status !== 202) throw new Error(`failing report answered ${r.status}`);
      const at = await receiver.wait(c.clusterId, SAMPLE_TIMEOUT_MS);
      if (at === null) missed++;
      else samples.push({ clusterId: c.clusterId, sentAt, ms: at - t0, acceptedMs: r.ms });
      // Fixed again: healthy, then back to the background rhythm.
      await post('/reports', reportBody(base, next(c.clusterId), true), c.credential);
      busy.delete(c.clusterId);
      await sleep(GAP_MS * (0.5 + Math.random()));
    }
    const loadAtEnd = loadNote();
    stop = true;
    await Promise.all([heartbeats, reports]);

    const events = await countEvents(db.url);
    console.error(`events during the run: ${events}`);
    const lat = summarize(samples.map((s) => s.ms));
    const accepted = summarize(samples.map((s) => s.acceptedMs));
    const parts = await breakdown(db.url, samples);
    const p = (xs) => {
      const x = summarize(xs);
      return `${x.p50} / ${x.p99}`;
    };
    const pollNote = POLL_MS ? `, MESHFLEET_ALERT_POLL_INTERVAL_MS=${POLL_MS}` : '';
    const rows = [
      {
        figure: `failing report sent → alert.firing webhook received, p50 / p99 / max ms (${samples.length}/${SAMPLES} samples, ${CLUSTERS} clusters reporting; ${ruleNote}${pollNote})`,
        value: `${lat.p50} / ${lat.p99} / ${lat.max}`,
        goal: `p99 < ${GOAL_MS}`,
        meets: lat.p99 !== null && lat.p99 < GOAL_MS && missed === 0,
      },
      {
        figure: 'split p50 / p99 ms: sent → health event stored (report accepted)',
        value: p(parts.event),
      },
      { figure: 'split: health event → alert fired (outbox pick-up + evaluation)', value: p(parts.fired) },
      { figure: 'split: alert fired → webhook delivery row (outbox fan-out)', value: p(parts.delivery) },
      { figure: 'split: delivery row → first attempt (BullMQ job)', value: p(parts.attempt) },
      { figure: 'failing report HTTP round trip p50 / p99 ms', value: `${accepted.p50} / ${accepted.p99}` },
      {
        figure: 'samples missed (> 15 s) / background agent call errors',
        value: `${missed} / ${errors.background}`,
        goal: '0',
        meets: missed === 0,
      },
      { figure: 'domain events during the run, by type', value: events },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('alert-webhook', rows);
  } finally {
    stop = true;
    disarm();
    await receiver?.close();
    await worker?.stop();
    await api?.stop();
    await db.drop();
    await dropRedisPrefix(redisPrefix).catch(() => 0);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
