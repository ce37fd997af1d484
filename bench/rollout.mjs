// Rollout benchmark: a fleet rollout over 1,000 simulated clusters in 10 waves (a canary of 1 %,
// then 9 equal waves), every agent played over real HTTP: it long-polls the task endpoint, and on
// an UPGRADE task posts the step events over a fixed simulated work time, then the success
// result and a health report of the new version so the health gate can pass.
// Figures: wall time (rollout startedAt → finishedAt in Postgres), the simulated work on the
// critical path, the orchestration overhead (wall − that work), and the dispatch delay per
// cluster (wave started → its agent holds the task).
// Usage: node bench/rollout.mjs [--clusters 1000] [--waves 10] [--work-ms 300] [--gate 1]
//        [--profile DIR]   (CPU profiles of the API and the worker, written when they exit)
import http from 'node:http';
import pg from 'pg';
import {
  agentPoster,
  agentProtocol,
  dropRedisPrefix,
  freshDatabase,
  graphqlClient,
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
const WAVES = numArg('waves', 10);
const WORK_MS = numArg('work-ms', 300); // simulated upgrade time per cluster, spread over its steps
const GATE_SECONDS = numArg('gate', 1);
const GOAL_OVERHEAD_MS = 5_000; // issue 21, goal 6
const POLL_WAIT_SECONDS = 25;
const STALL_MS = 60_000; // no target moved for this long: report where it stuck and stop
const FROM = 'enterprise-2.19.1';
const TO = 'enterprise-2.20.0';
const STEPS = ['precheck', 'crds', 'control-plane', 'postcheck'];
const PROFILE_DIR = process.argv.includes('--profile')
  ? process.argv[process.argv.indexOf('--profile') + 1]
  : null;

/** A health report saying Linkerd `version` runs with matching proxies (as the agent sends it). */
let sequence = Date.now();
function report(version) {
  const r = exampleHealthReport();
  r.sequence = sequence++;
  r.generatedAt = new Date().toISOString();
  r.kubernetesVersion = 'v1.33.2';
  r.linkerd = {
    ...r.linkerd,
    installed: true,
    version,
    proxyVersions: [{ version, count: 4 }],
    skew: { ...r.linkerd.skew, controlPlane: version, oldestProxy: version, newestProxy: version },
  };
  return r;
}

/** Every cluster's agent: long-polls, works an UPGRADE task for WORK_MS, reports, polls again. */
class PlayedFleet {
  constructor(apiUrl, creds, post) {
    this.apiUrl = apiUrl;
    this.creds = creds;
    this.post = post;
    this.pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    this.stopping = false;
    this.open = new Set();
    this.received = new Map(); // clusterId → Date.now() when its agent held the upgrade task
    this.finished = new Map(); // clusterId → Date.now() when its result was posted
    this.stats = { tasks: 0, pollErrors: 0, postErrors: 0, retries: 0 };
  }

  async start(spreadMs) {
    const start = performance.now();
    for (let i = 0; i < this.creds.length; i++) {
      await sleep(Math.max(0, start + (i * spreadMs) / this.creds.length - performance.now()));
      this.poll(this.creds[i]);
    }
  }

  poll(c) {
    if (this.stopping) return;
    const retry = () => {
      this.stats.pollErrors++;
      if (!this.stopping) setTimeout(() => this.poll(c), 1000);
    };
    const req = http.request(
      `${this.apiUrl}/agent/v1/tasks/next?waitSeconds=${POLL_WAIT_SECONDS}`,
      {
        agent: this.pollAgent,
        headers: {
          'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
          authorization: `Bearer ${c.credential}`,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (ch) => chunks.push(ch));
        res.on('end', () => {
          this.open.delete(req);
          if (res.statusCode !== 200) return retry();
          const { task } = JSON.parse(Buffer.concat(chunks).toString());
          if (!task) return setImmediate(() => this.poll(c));
          this.stats.tasks++;
          this.work(c, task)
            .catch(() => this.stats.postErrors++)
            .finally(() => this.poll(c));
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

  async work(c, task) {
    if (task.kind !== 'LINKERD_UPGRADE') return;
    this.received.set(c.clusterId, Date.now());
    // Like the real agent, a call that fails on the network or with a 5xx is tried again.
    const send = async (path, body) => {
      for (let attempt = 1; ; attempt++) {
        const r = await this.post(path, body, c.credential).catch(() => ({ status: 0 }));
        if (r.status > 0 && r.status < 500) {
          if (r.status >= 300) this.stats.postErrors++;
          return;
        }
        this.stats.retries++;
        if (attempt === 5) {
          this.stats.postErrors++;
          return;
        }
        await sleep(100 * attempt);
      }
    };
    const event = (step, status) =>
      send(`/tasks/${task.id}/events`, { taskId: task.id, step, status, at: new Date().toISOString() });
    await event(STEPS[0], 'started');
    for (const step of STEPS) {
      await sleep(WORK_MS / STEPS.length);
      await event(step, 'succeeded');
    }
    const version = task.params.release.version;
    await send(`/tasks/${task.id}/result`, {
      taskId: task.id,
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      output: {
        kind: 'LIFECYCLE',
        controlPlaneVersion: version,
        postcheck: { errors: 0, warnings: 0, summary: 'ok' },
      },
    });
    this.finished.set(c.clusterId, Date.now());
    await send('/reports', report(version));
  }

  stop() {
    this.stopping = true;
    for (const req of this.open) req.destroy();
    this.open.clear();
    this.pollAgent.destroy();
  }
}

/** Runs fn over items with at most `limit` in flight. */
async function limited(items, limit, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

async function main() {
  const db = await freshDatabase('rollout');
  const redisPrefix = `mf_bench_rollout_${Date.now()}`;
  let api;
  let worker;
  let fleet;
  let stopHeartbeats = false;
  const disarm = watchdog(10 * 60_000, async () => {
    fleet?.stop();
    api?.kill();
    worker?.kill();
    await db.drop();
  });
  const pgc = new pg.Client({ connectionString: db.url });
  try {
    console.error(`seeding ${CLUSTERS} enrolled clusters…`);
    const { organizationId, creds } = await seedClusters(db.url, CLUSTERS);
    const apiKey = await insertApiKey(db.url, organizationId, 'bench-rollout');
    const env = serviceEnv(db.url, redisPrefix, {
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: String(POLL_WAIT_SECONDS),
      MESHFLEET_SIMULATED_CATALOG: 'true',
      ...(PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILE_DIR}` } : {}),
    });
    api = await startApiProcess(env);
    worker = await startWorkerProcess(env);
    await pgc.connect();
    const post = agentPoster(api.url, 128);
    const gql = graphqlClient(api.url, apiKey);

    // Each agent says it is alive and reports Linkerd at the old version, as it would have long
    // before anyone starts a rollout; heartbeats go on every 15 s so the liveness sweep keeps
    // the clusters CONNECTED.
    console.error(`heartbeat and a ${FROM} report from each of ${CLUSTERS} agents…`);
    await limited(creds, 32, async (c) => {
      await post('/heartbeat', { agentVersion: 'bench', uptimeSeconds: 1 }, c.credential);
      const r = await post('/reports', report(FROM), c.credential);
      if (r.status !== 202) throw new Error(`initial report refused: ${r.status}`);
    });
    const heartbeats = (async () => {
      const gapMs = 15_000 / creds.length;
      const start = performance.now();
      for (let n = 0; !stopHeartbeats; n++) {
        await sleep(Math.max(0, start + (n + 1) * gapMs - performance.now()));
        if (stopHeartbeats) break;
        void post(
          '/heartbeat',
          { agentVersion: 'bench', uptimeSeconds: n },
          creds[n % creds.length].credential,
        ).catch(() => null);
      }
    })();

    console.error(`opening ${CLUSTERS} long-polls…`);
    fleet = new PlayedFleet(api.url, creds, post);
    await fleet.start(5_000);
    await sleep(2_000);

    const canary = Math.max(1, Math.round(CLUSTERS / 100));
    const per = Math.ceil((CLUSTERS - canary) / (WAVES - 1));
    const strategy = {
      canaryCount: canary,
      waveSizes: Array.from({ length: WAVES - 2 }, () => per), // the rest forms the last wave
      maxUnavailable: CLUSTERS,
      maxFailures: 0,
      healthGateSeconds: GATE_SECONDS,
      delayBetweenWavesSeconds: 0,
      requireApproval: false,
    };
    const input = { name: 'bench', targetVersion: TO, strategy };
    const plan = await gql(
      `query($i: RolloutInput!) { planRollout(input: $i) { waves { name clusters { id } } excluded { code } } }`,
      { i: input },
    );
    const waves = plan.planRollout.waves;
    if (plan.planRollout.excluded.length)
      throw new Error(`plan left out ${plan.planRollout.excluded.length} clusters`);
    console.error(`rollout: ${waves.map((w) => w.clusters.length).join(' + ')} clusters…`);
    const loadAtStart = loadNote();
    const sent = Date.now();
    const started = await gql(`mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`, {
      i: input,
    });
    const id = started.startRollout.id;
    let row;
    let progress = { at: Date.now(), key: '' };
    for (;;) {
      row = (await pgc.query(`SELECT status, "startedAt", "finishedAt" FROM "Rollout" WHERE id = $1`, [id]))
        .rows[0];
      if (!['RUNNING', 'PENDING'].includes(row.status)) break;
      const counts = (
        await pgc.query(
          `SELECT status, count(*)::int AS n FROM "RolloutTarget" WHERE "rolloutId" = $1 GROUP BY status ORDER BY status`,
          [id],
        )
      ).rows;
      const key = counts.map((c) => `${c.status} ${c.n}`).join(', ');
      if (key !== progress.key) progress = { at: Date.now(), key };
      else if (Date.now() - progress.at > STALL_MS) {
        const stuck = await pgc.query(
          `SELECT t."clusterId", t.status AS target, o.status AS op, o.attempt, a.status AS task, o.error
           FROM "RolloutTarget" t LEFT JOIN "Operation" o ON o.id = t."operationId"
           LEFT JOIN "OperationAttempt" a ON a."operationId" = o.id AND a.number = o.attempt
           WHERE t."rolloutId" = $1 AND t.status IN ('UPGRADING', 'GATING') LIMIT 5`,
          [id],
        );
        for (const r of stuck.rows)
          console.error(
            `stuck: ${JSON.stringify(r)} agent got it: ${fleet.received.has(r.clusterId)}, finished: ${fleet.finished.has(r.clusterId)}`,
          );
        throw new Error(`rollout stalled for ${STALL_MS / 1000} s at: ${key}`);
      }
      await sleep(100);
    }
    const loadAtEnd = loadNote();
    if (row.status !== 'SUCCEEDED') {
      const r = await pgc.query(`SELECT "pausedReason" FROM "Rollout" WHERE id = $1`, [id]);
      throw new Error(`rollout ended ${row.status}: ${r.rows[0].pausedReason}`);
    }
    const wallMs = row.finishedAt.getTime() - row.startedAt.getTime();

    // Where the time went, wave by wave, from the domain events and the agents' own clocks.
    const events = (
      await pgc.query(
        `SELECT type, payload, "createdAt" FROM "DomainEvent" WHERE type IN ('rollout.started', 'rollout.wave_started', 'rollout.wave_completed') ORDER BY "createdAt"`,
      )
    ).rows;
    const waveStart = new Map([[0, events.find((e) => e.type === 'rollout.started').createdAt.getTime()]]);
    const waveDone = new Map();
    for (const e of events) {
      if (e.type === 'rollout.wave_started') waveStart.set(e.payload.wave, e.createdAt.getTime());
      if (e.type === 'rollout.wave_completed') waveDone.set(e.payload.wave, e.createdAt.getTime());
    }
    // Server-side stage times per wave: operations created, dispatched (agent task created), finished.
    const stages = new Map(
      (
        await pgc.query(
          `SELECT t.wave, max(o."createdAt") AS created, max(o."dispatchedAt") AS dispatched, max(o."finishedAt") AS finished
           FROM "RolloutTarget" t JOIN "Operation" o ON o.id = t."operationId" WHERE t."rolloutId" = $1 GROUP BY t.wave`,
          [id],
        )
      ).rows.map((s) => [s.wave, s]),
    );
    const dispatchDelays = [];
    const perWave = waves.map((w, i) => {
      const t0 = waveStart.get(i);
      const got = w.clusters.map((c) => fleet.received.get(c.id) - t0);
      const fin = w.clusters.map((c) => fleet.finished.get(c.id) - t0);
      dispatchDelays.push(...got);
      const d = summarize(got);
      return {
        wave: i,
        clusters: w.clusters.length,
        startMs: t0 - row.startedAt.getTime(),
        dispatchP50: d.p50,
        dispatchMax: d.max,
        lastResultMs: Math.max(...fin),
        lastCreatedMs: stages.get(i).created.getTime() - t0,
        lastDispatchedMs: stages.get(i).dispatched.getTime() - t0,
        lastFinishedMs: stages.get(i).finished.getTime() - t0,
        durationMs: waveDone.get(i) - t0,
      };
    });
    // Times in ms from the wave's start; "last" = the wave's slowest cluster.
    const cols = [
      ['wave', (w) => w.wave],
      ['clusters', (w) => w.clusters],
      ['start', (w) => w.startMs],
      ['last op created', (w) => w.lastCreatedMs],
      ['last dispatched', (w) => w.lastDispatchedMs],
      ['held p50/max', (w) => `${Math.round(w.dispatchP50)}/${Math.round(w.dispatchMax)}`],
      ['last result sent', (w) => w.lastResultMs],
      ['last op finished', (w) => w.lastFinishedMs],
      ['wave done', (w) => w.durationMs],
      ['overhead', (w) => w.durationMs - WORK_MS - GATE_SECONDS * 1000],
    ];
    console.error(cols.map(([h]) => h).join(' | '));
    for (const w of perWave) console.error(cols.map(([h, f]) => String(f(w)).padStart(h.length)).join(' | '));
    // Critical path of simulated work: in each wave the longest upgrade (every agent works
    // WORK_MS) and then the health gate (GATE_SECONDS); waves run one after the other.
    const criticalMs = waves.length * (WORK_MS + GATE_SECONDS * 1000);
    const overheadMs = wallMs - criticalMs;
    const dispatch = summarize(dispatchDelays);
    const missing = creds.length - fleet.received.size;
    console.error(
      `wall ${wallMs} ms (client saw ${Date.now() - sent} ms), critical-path work ${criticalMs} ms, overhead ${overheadMs} ms; ` +
        `tasks ${fleet.stats.tasks}, missing ${missing}, poll errors ${fleet.stats.pollErrors}, post errors ${fleet.stats.postErrors}, post retries ${fleet.stats.retries}`,
    );
    const rows = [
      {
        figure: `rollout wall time, startedAt → SUCCEEDED (${CLUSTERS} clusters, ${waves.length} waves: ${waves.map((w) => w.clusters.length).join('+')}), ms`,
        value: wallMs,
      },
      {
        figure: `simulated work on the critical path = waves × (longest upgrade ${WORK_MS} ms + health gate ${GATE_SECONDS} s), ms`,
        value: criticalMs,
      },
      {
        figure: `orchestration overhead = wall − critical-path work, ms (${CLUSTERS} clusters, ${waves.length} waves)`,
        value: overheadMs,
        goal: `< ${GOAL_OVERHEAD_MS}`,
        meets: overheadMs < GOAL_OVERHEAD_MS && missing === 0,
      },
      {
        figure: 'dispatch delay per cluster, wave started → agent holds the task, p50 / p99 / max ms',
        value: `${Math.round(dispatch.p50)} / ${Math.round(dispatch.p99)} / ${Math.round(dispatch.max)}`,
      },
      {
        figure: 'overhead per wave (wave duration − work − gate), ms',
        value: perWave.map((w) => w.durationMs - WORK_MS - GATE_SECONDS * 1000).join(', '),
      },
      {
        figure:
          'clusters never given their task / agent calls failed after 5 tries / calls retried (polls, posts)',
        value: `${missing} / ${fleet.stats.postErrors} / ${fleet.stats.pollErrors}, ${fleet.stats.retries}`,
        goal: '0 / 0 / —',
        meets: missing + fleet.stats.postErrors === 0,
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('rollout', rows);
    stopHeartbeats = true;
    await heartbeats;
  } finally {
    stopHeartbeats = true;
    fleet?.stop();
    await pgc.end().catch(() => undefined);
    await api?.stop();
    await worker?.stop();
    await db.drop();
    await dropRedisPrefix(redisPrefix).catch((e) => console.error(`Redis cleanup failed: ${e.message}`));
    disarm();
  }
}

main().then(
  () => process.exit(0), // keep-alive sockets of the shared clients would hold the process
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
