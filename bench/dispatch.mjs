// Dispatch benchmark: time from a public mutation to the moment the cluster's agent holds the task,
// with every agent of the fleet long-polling. Two paths:
//  - direct: GraphQL collectProxyMetrics → diagnostics operation with its attempt queued + Redis wake
//    → the agent's long-poll;
//  - lifecycle: GraphQL restartDataPlane → operation row → BullMQ → worker dispatch → long-poll.
// Usage: node bench/dispatch.mjs [--clusters 1000] [--samples 200] [--lifecycle 50] [--rate 20]
//        [--lifecycle-rate 5]
import http from 'node:http';
import {
  agentProtocol,
  dropRedisPrefix,
  freshDatabase,
  insertApiKey,
  loadNote,
  numArg,
  recordResults,
  seedClusters,
  serviceEnv,
  sleep,
  startApiProcess,
  startWorkerProcess,
  summarize,
  watchdog,
} from './lib.mjs';

const { exampleHealthReport, PROTOCOL_VERSION } = agentProtocol();

const CLUSTERS = numArg('clusters', 1000);
const SAMPLES = Math.min(numArg('samples', 200), CLUSTERS);
const LIFECYCLE = Math.min(numArg('lifecycle', 50), CLUSTERS);
const RATE = numArg('rate', 20); // direct mutations per second, open loop
const LIFECYCLE_RATE = numArg('lifecycle-rate', 5); // lifecycle operations per second, open loop
const GOAL_MS = 250;
const SAMPLE_TIMEOUT_MS = 10_000;
const POLL_WAIT_SECONDS = 25;

// Mutations and agent calls use separate socket pools, so neither queues behind the other here.
const apiAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const agentCallsAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
// One socket per long-poll, reused when the agent polls again (as a real agent's keep-alive does).
const pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function request(url, { method = 'GET', headers = {}, body, agent = apiAgent }) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(data === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

const agentHeaders = (credential) => ({
  'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
  authorization: `Bearer ${credential}`,
});

/** Every cluster's agent, long-polling for tasks and polling again as soon as one returns. */
class Fleet {
  constructor(apiUrl, creds) {
    this.apiUrl = apiUrl;
    this.creds = creds;
    this.stopping = false;
    this.open = new Set();
    this.arrivals = new Map(); // task id or operation id → performance.now() when the agent held it
    this.waiters = new Map();
    this.stats = { answered: 0, empty: 0, tasks: 0, errors: 0 };
  }

  /** Opens the polls spread over spreadMs, so they also time out and re-poll spread out. */
  async start(spreadMs) {
    const start = performance.now();
    for (let i = 0; i < this.creds.length && !this.stopping; i++) {
      await sleep(Math.max(0, start + (i * spreadMs) / this.creds.length - performance.now()));
      this.poll(this.creds[i].credential);
    }
  }

  arrived(key, t) {
    const w = this.waiters.get(key);
    if (w) {
      this.waiters.delete(key);
      w(t);
    } else this.arrivals.set(key, t);
  }

  /** Resolves with the time the agent got the task, or null after timeoutMs. */
  heldAt(key, timeoutMs) {
    if (this.arrivals.has(key)) return Promise.resolve(this.arrivals.get(key));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(key, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  poll(credential) {
    if (this.stopping) return;
    const retry = () => {
      this.stats.errors++;
      if (!this.stopping) setTimeout(() => this.poll(credential), 1000);
    };
    const req = http.request(
      `${this.apiUrl}/agent/v1/tasks/next?waitSeconds=${POLL_WAIT_SECONDS}`,
      { agent: pollAgent, headers: agentHeaders(credential) },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const t = performance.now();
          this.open.delete(req);
          if (res.statusCode !== 200) return retry();
          this.stats.answered++;
          const { task } = JSON.parse(Buffer.concat(chunks).toString());
          if (task) {
            this.stats.tasks++;
            this.arrived(task.id, t);
            if (task.params?.operationId) this.arrived(task.params.operationId, t);
          } else this.stats.empty++;
          setImmediate(() => this.poll(credential));
        });
        res.on('error', () => {
          this.open.delete(req);
          retry();
        });
      },
    );
    req.on('error', () => {
      this.open.delete(req);
      if (!this.stopping) retry();
    });
    this.open.add(req);
    req.end();
  }

  stop() {
    this.stopping = true;
    for (const req of this.open) req.destroy();
    this.open.clear();
    pollAgent.destroy();
  }
}

/** Fires the samples open-loop at rate per second; each resolves with its timings or a failure. */
async function measure(samples, rate, fire, fleet) {
  const start = performance.now();
  const results = await Promise.all(
    samples.map(async (s, i) => {
      const due = start + (i * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
      const sent = performance.now();
      let key;
      try {
        key = await fire(s);
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
      const accepted = performance.now();
      const held = await fleet.heldAt(key, SAMPLE_TIMEOUT_MS);
      if (held === null) return { missed: true };
      return { sent, accepted, held };
    }),
  );
  const ok = results.filter((r) => r.held !== undefined);
  const errors = results.filter((r) => r.error);
  return {
    total: samples.length,
    held: ok.length,
    missed: results.filter((r) => r.missed).length,
    errors: errors.length,
    firstError: errors[0]?.error,
    beforeAck: ok.filter((r) => r.held < r.accepted).length,
    fromSent: summarize(ok.map((r) => r.held - r.sent)),
    fromAccepted: summarize(ok.map((r) => Math.max(0, r.held - r.accepted))),
    mutation: summarize(ok.map((r) => r.accepted - r.sent)),
  };
}

async function main() {
  const db = await freshDatabase('dispatch');
  let api;
  let worker;
  let fleet;
  let stopHeartbeats = false;
  const redisPrefix = `mf_bench_dispatch_${Date.now()}`;
  const disarm = watchdog(10 * 60_000, async () => {
    fleet?.stop();
    api?.kill();
    worker?.kill();
    await db.drop();
  });
  try {
    console.error(`seeding ${CLUSTERS} enrolled clusters…`);
    const { organizationId, creds } = await seedClusters(db.url, CLUSTERS);
    const apiKey = await insertApiKey(db.url, organizationId, 'bench-dispatch');
    const env = serviceEnv(db.url, redisPrefix, {
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: String(POLL_WAIT_SECONDS),
    });
    api = await startApiProcess(env);
    worker = await startWorkerProcess(env);
    const loadAtStart = loadNote();

    const post = (path, body, credential) =>
      request(`${api.url}/agent/v1${path}`, {
        method: 'POST',
        headers: agentHeaders(credential),
        body,
        agent: agentCallsAgent,
      });
    const heartbeatAll = async () => {
      for (let i = 0; i < creds.length && !stopHeartbeats; i += 50) {
        await Promise.all(
          creds
            .slice(i, i + 50)
            .map((c) =>
              post('/heartbeat', { agentVersion: 'bench', uptimeSeconds: 1 }, c.credential).catch(() => null),
            ),
        );
      }
    };
    // Agents are live (presence in Redis) before and during the run: one heartbeat each, then one
    // every 15 s per agent, as real agents do, so the worker's liveness sweep keeps them CONNECTED.
    console.error(`heartbeat from each of ${CLUSTERS} agents…`);
    await heartbeatAll();
    // Afterwards spread evenly over the interval, like a fleet whose agents started at random times.
    const heartbeats = (async () => {
      const gapMs = 15_000 / creds.length;
      const start = performance.now();
      for (let n = 0; n < creds.length * 40 && !stopHeartbeats; n++) {
        await sleep(Math.max(0, start + (n + 1) * gapMs - performance.now()));
        if (stopHeartbeats) break;
        void post(
          '/heartbeat',
          { agentVersion: 'bench', uptimeSeconds: n },
          creds[n % creds.length].credential,
        ).catch(() => null);
      }
    })();

    const graphql = async (query, variables) => {
      const r = await request(`${api.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: { query, variables },
      });
      const body = JSON.parse(r.text);
      if (r.status !== 200 || body.errors?.length)
        throw new Error(`GraphQL ${r.status}: ${body.errors?.[0]?.message ?? r.text.slice(0, 200)}`);
      return body.data;
    };

    console.error(`opening ${CLUSTERS} long-polls over ${POLL_WAIT_SECONDS} s…`);
    fleet = new Fleet(api.url, creds);
    // Spread over one poll window, as in a fleet whose agents did not all start in the same second
    // (opened together, all 1,000 would time out and re-poll together every 25 s).
    await fleet.start(POLL_WAIT_SECONDS * 1000);
    await sleep(1000);
    const rssPolling = await api.rssBytes();

    const step = Math.max(1, Math.floor(CLUSTERS / SAMPLES));
    const direct = Array.from({ length: SAMPLES }, (_, i) => creds[(i * step) % CLUSTERS].clusterId);
    console.error(`direct path: ${SAMPLES} collectProxyMetrics at ${RATE}/s…`);
    const d = await measure(
      direct,
      RATE,
      async (clusterId) =>
        (
          await graphql(
            `
              mutation ($c: ID!) {
                collectProxyMetrics(clusterId: $c, namespace: "emojivoto", pod: "web-0") {
                  id
                }
              }
            `,
            { c: clusterId },
          )
        ).collectProxyMetrics.id,
      fleet,
    );

    // Lifecycle samples use other clusters than the direct ones; each reports its health first,
    // as a connected agent would have done before anyone asks it for an operation.
    const lstep = Math.max(1, Math.floor(CLUSTERS / LIFECYCLE));
    const lifecycleCreds = Array.from(
      { length: LIFECYCLE },
      (_, i) => creds[(i * lstep + Math.min(2, lstep - 1)) % CLUSTERS],
    );
    let seq = Date.now();
    for (const c of lifecycleCreds) {
      const r = await post(
        '/reports',
        { ...exampleHealthReport(), sequence: seq++, generatedAt: new Date().toISOString() },
        c.credential,
      );
      if (r.status >= 300) throw new Error(`health report refused: ${r.status} ${r.text.slice(0, 200)}`);
    }
    console.error(`lifecycle path: ${LIFECYCLE} restartDataPlane at ${LIFECYCLE_RATE}/s…`);
    await sleep(2000); // let the API and worker finish with the reports before measuring
    const l = await measure(
      lifecycleCreds.map((c) => c.clusterId),
      LIFECYCLE_RATE,
      async (clusterId) =>
        (
          await graphql(
            `
              mutation ($c: ID!) {
                restartDataPlane(clusterId: $c) {
                  id
                }
              }
            `,
            { c: clusterId },
          )
        ).restartDataPlane.id,
      fleet,
    );
    const loadAtEnd = loadNote();
    await sleep(200); // the last sample's agent is polling again
    const openPolls = fleet.open.size;
    stopHeartbeats = true;
    fleet.stop();
    await heartbeats;

    for (const [name, r] of [
      ['direct', d],
      ['lifecycle', l],
    ]) {
      console.error(
        `${name}: ${r.held}/${r.total} held (missed ${r.missed}, errors ${r.errors}${r.firstError ? `: ${r.firstError}` : ''}); ` +
          `sent→held ${JSON.stringify(r.fromSent)}; accepted→held ${JSON.stringify(r.fromAccepted)}; ` +
          `mutation ${JSON.stringify(r.mutation)}; held before the mutation answered: ${r.beforeAck}`,
      );
    }
    const fig = (s) => `${s.p50} / ${s.p99} / ${s.max}`;
    const meets = (s, r) => r.held === r.total && s.p99 !== null && s.p99 < GOAL_MS;
    const rows = [
      {
        figure: `direct (collectProxyMetrics): mutation accepted → agent holds task, p50 / p99 / max ms (${d.held}/${d.total} samples at ${RATE}/s, ${CLUSTERS} agents long-polling)`,
        value: fig(d.fromAccepted),
        goal: `p99 < ${GOAL_MS}`,
        meets: meets(d.fromAccepted, d),
      },
      {
        figure: 'direct: mutation sent → agent holds task (incl. the mutation itself), p50 / p99 / max ms',
        value: fig(d.fromSent),
      },
      {
        figure: `lifecycle (restartDataPlane via BullMQ + worker): mutation accepted → agent holds task, p50 / p99 / max ms (${l.held}/${l.total} samples at ${LIFECYCLE_RATE}/s)`,
        value: fig(l.fromAccepted),
        goal: `p99 < ${GOAL_MS}`,
        meets: meets(l.fromAccepted, l),
      },
      {
        figure: 'lifecycle: mutation sent → agent holds task, p50 / p99 / max ms',
        value: fig(l.fromSent),
      },
      {
        figure: 'mutation round trip p50 / p99 ms (direct, lifecycle)',
        value: `${d.mutation.p50} / ${d.mutation.p99}, ${l.mutation.p50} / ${l.mutation.p99}`,
      },
      {
        figure: 'samples missed (> 10 s) / mutation errors (direct, lifecycle)',
        value: `${d.missed}/${d.errors}, ${l.missed}/${l.errors}`,
        goal: '0',
        meets: d.missed + d.errors + l.missed + l.errors === 0,
      },
      {
        figure: `long-polls open at the end / poll errors / empty answers (of ${CLUSTERS})`,
        value: `${openPolls} / ${fleet.stats.errors} / ${fleet.stats.empty}`,
      },
      {
        figure: `API RSS with ${CLUSTERS} agents long-polling`,
        value: rssPolling === null ? 'n/a' : `${Math.round(rssPolling / 2 ** 20)} MiB`,
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('dispatch', rows);
  } finally {
    stopHeartbeats = true;
    fleet?.stop();
    await api?.stop();
    await worker?.stop();
    await db.drop();
    await dropRedisPrefix(redisPrefix).catch((e) => console.error(`Redis cleanup failed: ${e.message}`));
    apiAgent.destroy();
    agentCallsAgent.destroy();
    disarm();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
