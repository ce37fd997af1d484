// Agent footprint: the real agent binary as its own process, against one large simulated cluster
// (kube-sim, in this process) and the real API (its own process) behind a byte-counting relay.
// Two sizes in one run, 500 and 4,000 pods, so the growth is visible; a bare Node process polling
// the API over a keep-alive socket is measured over the same windows as the raw baseline.
// RSS and CPU come from /proc/<pid>; report build time from the agent's own histogram
// (meshfleet_agent_report_build_seconds); report size from the request bodies the relay saw.
// Usage: node bench/agent-footprint.mjs [--window 60] [--report-interval 20] [--sizes 500,4000]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  cpuSecondsOf,
  dropRedisPrefix,
  freshDatabase,
  graphqlClient,
  insertApiKey,
  loadNote,
  numArg,
  recordResults,
  ROOT,
  seedClusters,
  serviceEnv,
  sleep,
  startApiProcess,
  strArg,
  watchdog,
} from './lib.mjs';

const WINDOW_S = numArg('window', 60);
// 3× the default report rate (60 s): more build samples per window, and a CPU figure that errs high.
const REPORT_INTERVAL_S = numArg('report-interval', 20);
const SIZES = (strArg('sizes') ?? '500,4000').split(',').map(Number);
const PODS_PER_NAMESPACE = 20;
const GOALS = { rssMiB: 150, cores: 0.05, buildS: 1, wireKiB: 64 };
const AGENT_MAIN = join(ROOT, 'agents/linkerd-agent/dist/src/main.js');
const { startSimulator } = createRequire(import.meta.url)('../libs/kube-sim/dist/src/index.js');

/** The Node flags of the agent image's ENTRYPOINT, so the bench runs the agent as it ships. */
function imageNodeFlags() {
  const line = readFileSync(join(ROOT, 'agents/linkerd-agent/Dockerfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT '));
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length));
  return argv.slice(1, -1).filter((a) => a.startsWith('--'));
}
const AGENT_NODE_FLAGS = imageNodeFlags();

/**
 * One cluster of `pods` application pods: a namespace per 20 pods (4 Deployments × 5 replicas,
 * each with a Service), nine in ten namespaces meshed, traffic along each namespace's chain,
 * a node per 80 pods (50 at 4,000), Linkerd and metrics-server installed.
 */
function scenario(name, pods) {
  const namespaces = Math.ceil(pods / PODS_PER_NAMESPACE);
  const workloads = ['frontend', 'api', 'worker', 'cache'];
  return {
    clusters: [
      {
        name,
        provider: 'eks',
        region: 'us-east-1',
        kubernetesVersion: '1.31.4',
        nodes: Math.max(3, Math.ceil(pods / 80)),
        metricsServer: true,
        linkerd: { version: 'enterprise-2.19.4', ha: false, issuerValidityDays: 365 },
        namespaces: Array.from({ length: namespaces }, (_, i) => ({
          name: `team-${String(i).padStart(3, '0')}`,
          ...(i % 10 === 9 ? {} : { inject: 'enabled' }),
          workloads: workloads.map((w) => ({ name: w, replicas: PODS_PER_NAMESPACE / 4, port: 8080 })),
        })),
        traffic: Array.from({ length: namespaces }, (_, i) => {
          const ns = `team-${String(i).padStart(3, '0')}`;
          return [
            { from: `${ns}/frontend`, to: `${ns}/api`, rps: 20, connections: 4 },
            { from: `${ns}/api`, to: `${ns}/worker`, rps: 10, connections: 2 },
            { from: `${ns}/api`, to: `${ns}/cache`, rps: 40, connections: 2 },
          ];
        }).flat(),
      },
    ],
  };
}

/**
 * A relay between the agent and the API that counts the request bodies of POST /agent/v1/reports
 * exactly as they arrive (compressed if the agent compressed them).
 */
function startRelay(apiUrl) {
  const target = new URL(apiUrl);
  const reports = [];
  const keepAlive = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url.startsWith('/agent/v1/reports')) {
        const encoding = req.headers['content-encoding'] ?? 'identity';
        const json = encoding === 'gzip' ? gunzipSync(body) : body;
        reports.push({ at: Date.now(), wireBytes: body.length, jsonBytes: json.length, encoding });
      }
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: keepAlive,
        },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      up.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        reports,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
            keepAlive.destroy();
          }),
      }),
    ),
  );
}

/** VmRSS and VmHWM of a process in MiB (Linux). */
function memoryOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Samples RSS every second and CPU over the whole span of a window. */
async function measureWindow(pids, seconds) {
  const start = { at: performance.now(), cpu: pids.map(cpuSecondsOf) };
  const rss = pids.map(() => []);
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    pids.forEach((pid, j) => rss[j].push(memoryOf(pid).rss));
  }
  const wall = (performance.now() - start.at) / 1000;
  return pids.map((pid, j) => {
    const sorted = [...rss[j]].sort((a, b) => a - b);
    return {
      cores: (cpuSecondsOf(pid) - start.cpu[j]) / wall,
      steadyRssMiB: sorted[Math.floor(sorted.length / 2)],
      maxRssMiB: sorted.at(-1),
      peakRssMiB: memoryOf(pid).hwm,
    };
  });
}

/**
 * The report build histograms (wall and CPU): sum, count, and the count per bucket bound.
 */
async function buildHistogram(agentUrl) {
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  const read = (name) => {
    const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
    const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map(
      (m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: Number(m[2]) }),
    );
    return {
      sum: num(new RegExp(`^${name}_sum (\\S+)`, 'm')),
      count: num(new RegExp(`^${name}_count (\\S+)`, 'm')),
      buckets,
    };
  };
  return {
    ...read('meshfleet_agent_report_build_seconds'),
    cpu: read('meshfleet_agent_report_build_cpu_seconds'),
  };
}

/** Mean and the smallest bucket bound holding every build between two readings of a histogram. */
function between(before, after) {
  const n = after.count - before.count;
  const bound = after.buckets.find(
    (x) => x.n - (before.buckets.find((y) => y.le === x.le)?.n ?? 0) === n,
  )?.le;
  return { n, mean: n > 0 ? (after.sum - before.sum) / n : NaN, bound };
}

/** Median wall time of `times` direct GETs of an API path of the simulated cluster, in seconds. */
async function rawGet(sim, cluster, path, times = 3) {
  const once = () =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = https.get(
        `${cluster.url}${path}`,
        { ca: sim.caCertificate, headers: { authorization: `Bearer ${cluster.token}` } },
        (res) => {
          let bytes = 0;
          res.on('data', (c) => (bytes += c.length));
          res.on('end', () => resolve({ s: (performance.now() - t0) / 1000, bytes }));
        },
      );
      req.on('error', reject);
    });
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(await once());
  runs.sort((a, b) => a.s - b.s);
  return runs[Math.floor(runs.length / 2)];
}

/** Starts the agent binary; resolves with its metrics URL once its first report was sent. */
async function startAgentProcess({ kubeconfig, stateFile, apiUrl, bootstrapToken }) {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, AGENT_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KUBECONFIG: kubeconfig,
      MESHFLEET_API_URL: apiUrl,
      MESHFLEET_BOOTSTRAP_TOKEN: bootstrapToken,
      MESHFLEET_AGENT_STATE_FILE: stateFile,
      MESHFLEET_AGENT_PORT: '0',
      MESHFLEET_AGENT_HOST: '127.0.0.1',
      // The kube-sim CA is in the kubeconfig; nothing else is trusted differently.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url = null;
  let log = '';
  child.stdout.on('data', (c) => {
    if (url) return; // drained, not kept
    log = (log + c.toString()).slice(-16_384);
    const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*meshfleet agent started/.exec(log);
    if (m) url = m[1];
  });
  const deadline = Date.now() + 120_000;
  while (!url) {
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${log.slice(-500)}`);
    if (Date.now() > deadline) throw new Error(`agent did not start: ${log.slice(-500)}`);
    await sleep(100);
  }
  return {
    pid: child.pid,
    url,
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.on('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** A bare Node process holding one keep-alive connection to the API, a request every 15 s. */
function startBaseline(apiUrl) {
  const code = `const http=require('node:http');const a=new http.Agent({keepAlive:true});
const go=()=>http.get(${JSON.stringify(`${apiUrl}/readyz`)},{agent:a},(r)=>r.resume()).on('error',()=>{});
go();setInterval(go,15000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return { pid: child.pid, kill: () => child.exitCode === null && child.kill('SIGKILL') };
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function runSize(pods, { gql, relay, dir, baseline }) {
  const name = `footprint-${pods}`;
  const t0 = performance.now();
  const sim = await startSimulator({ scenario: scenario(name, pods), podReadyDelayMs: 50 });
  const cluster = sim.cluster(name);
  const running = () => cluster.model.store.list('/pods').filter((p) => p.status?.phase === 'Running').length;
  await waitFor(`${pods} pods running`, () => running() >= pods, 300_000);
  const totalPods = cluster.model.store.list('/pods').length;
  const nodes = cluster.model.store.list('/nodes').length;
  const namespaces = cluster.model.store.list('/namespaces').length;
  console.error(
    `${name}: ${totalPods} pods on ${nodes} nodes in ${namespaces} namespaces, seeded in ${Math.round((performance.now() - t0) / 1000)} s`,
  );
  const reg = await gql(
    `mutation($name: String!) { registerCluster(input: { name: $name, provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
    { name },
  );
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, sim.kubeconfigFor(name));
  const firstReport = relay.reports.length;
  const started = performance.now();
  const agent = await startAgentProcess({
    kubeconfig,
    stateFile: join(dir, `${name}.state.json`),
    apiUrl: relay.url,
    bootstrapToken: reg.registerCluster.bootstrapToken.token,
  });
  try {
    await waitFor('the first report', () => relay.reports.length > firstReport, 120_000);
    const firstReportS = (performance.now() - started) / 1000;
    const cold = await buildHistogram(agent.url);
    // Warm-up: the start-up burst (lists, first builds, enrollment) settles.
    await sleep(10_000);
    const before = await buildHistogram(agent.url);
    const fromReport = relay.reports.length;
    console.error(`${name}: measuring ${WINDOW_S} s…`);
    const [a, b] = await measureWindow([agent.pid, baseline.pid], WINDOW_S);
    const after = await buildHistogram(agent.url);
    const sent = relay.reports.slice(fromReport);
    const all = relay.reports.slice(firstReport);
    const wall = between(before, after);
    const cpu = between(before.cpu, after.cpu);
    // Raw baselines for the build: the two largest reads it depends on, straight from the simulator.
    const podMetrics = await rawGet(sim, cluster, '/apis/metrics.k8s.io/v1beta1/pods');
    const podList = await rawGet(sim, cluster, '/api/v1/pods');
    const stored = await gql(`query($id: ID!) { cluster(id: $id) { mtls { totalPods meshedPods } } }`, {
      id: reg.registerCluster.cluster.id,
    });
    return {
      pods: totalPods,
      appPods: pods,
      nodes,
      namespaces,
      firstReportS,
      coldBuildS: cold.count > 0 ? cold.sum / cold.count : NaN,
      buildMeanS: wall.mean,
      builds: wall.n,
      buildMaxBoundS: wall.bound,
      buildCpuMeanS: cpu.mean,
      buildCpuBoundS: cpu.bound,
      podMetrics,
      podList,
      agent: a,
      baseline: b,
      reportsInWindow: sent.length,
      wireBytesMax: Math.max(...all.map((r) => r.wireBytes)),
      jsonBytesMax: Math.max(...all.map((r) => r.jsonBytes)),
      encodings: [...new Set(all.map((r) => r.encoding))].join(', '),
      apiSawPods: stored.cluster.mtls
        ? `${stored.cluster.mtls.meshedPods}/${stored.cluster.mtls.totalPods}`
        : 'none',
    };
  } finally {
    await agent.stop();
    await sim.close();
  }
}

async function main() {
  const db = await freshDatabase('agent_footprint');
  const redisPrefix = `mf_bench_footprint_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'mf-footprint-'));
  let api;
  let relay;
  let baseline;
  const disarm = watchdog(20 * 60_000, async () => {
    api?.kill();
    baseline?.kill();
    await db.drop();
  });
  try {
    const { organizationId } = await seedClusters(db.url, 0);
    const apiKey = await insertApiKey(db.url, organizationId, 'bench-agent-footprint');
    api = await startApiProcess(
      serviceEnv(db.url, redisPrefix, {
        MESHFLEET_REPORT_INTERVAL_SECONDS: String(REPORT_INTERVAL_S),
        MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      }),
    );
    relay = await startRelay(api.url);
    baseline = startBaseline(api.url);
    const gql = graphqlClient(api.url, apiKey);
    const loadAtStart = loadNote();
    const results = [];
    for (const pods of SIZES) results.push(await runSize(pods, { gql, relay, dir, baseline }));
    const loadAtEnd = loadNote();
    console.error(JSON.stringify(results, null, 1));

    const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
    const each = (fn) => results.map(fn).join(' / ');
    const sizes = results.map((r) => r.appPods).join(' / ');
    const largest = results.at(-1);
    const rows = [
      {
        figure: `cluster simulated: pods (application pods) / nodes / namespaces, at ${sizes} pods`,
        value: each((r) => `${r.pods} (${r.appPods}) / ${r.nodes} / ${r.namespaces}`),
      },
      {
        figure: `agent RSS steady (median over ${WINDOW_S} s) / peak (VmHWM, incl. start-up), MiB, at ${sizes} pods`,
        value: each((r) => `${f1(r.agent.steadyRssMiB)} / ${f1(r.agent.peakRssMiB)}`),
        goal: `< ${GOALS.rssMiB} MiB`,
        meets: results.every((r) => r.agent.steadyRssMiB < GOALS.rssMiB && r.agent.peakRssMiB < GOALS.rssMiB),
      },
      {
        figure: `agent CPU, average over ${WINDOW_S} s after warm-up, cores (reports every ${REPORT_INTERVAL_S} s, heartbeats every 15 s), at ${sizes} pods`,
        value: each((r) => f3(r.agent.cores)),
        goal: `< ${GOALS.cores} core`,
        meets: results.every((r) => r.agent.cores < GOALS.cores),
      },
      {
        figure: `report build wall time, mean in the window (builds; all within bucket ≤ s) / the first, cold, s, at ${sizes} pods`,
        value: each((r) => `${f3(r.buildMeanS)} (${r.builds}; ≤ ${r.buildMaxBoundS}) / ${f3(r.coldBuildS)}`),
        goal: `< ${GOALS.buildS} s`,
        meets: results.every((r) => r.buildMaxBoundS <= GOALS.buildS && r.coldBuildS < GOALS.buildS),
      },
      {
        figure: `report build: agent CPU per build, mean (all within bucket ≤ s), at ${sizes} pods`,
        value: each((r) => `${f3(r.buildCpuMeanS)} (≤ ${r.buildCpuBoundS})`),
      },
      {
        figure: `raw baseline: direct GET from the simulator of PodMetrics (all pods) / the pod list, s (MiB), at ${sizes} pods`,
        value: each(
          (r) =>
            `${f3(r.podMetrics.s)} (${f1(r.podMetrics.bytes / 2 ** 20)}) / ${f3(r.podList.s)} (${f1(r.podList.bytes / 2 ** 20)})`,
        ),
      },
      {
        figure: `report build wall time / the PodMetrics GET it waits on, at ${sizes} pods`,
        value: each((r) => `${f1(r.buildMeanS / r.podMetrics.s)}×`),
      },
      {
        figure: `largest report on the wire / as JSON, KiB (encoding), at ${sizes} pods`,
        value: each((r) => `${f1(r.wireBytesMax / 1024)} / ${f1(r.jsonBytesMax / 1024)} (${r.encodings})`),
        goal: `≤ ${GOALS.wireKiB} KiB`,
        meets: results.every((r) => r.wireBytesMax <= GOALS.wireKiB * 1024),
      },
      {
        figure: `agent start → first report accepted, s / the API's meshed/total pods, at ${sizes} pods`,
        value: each((r) => `${f1(r.firstReportS)} / ${r.apiSawPods}`),
      },
      {
        figure:
          'raw baseline: bare Node process with a keep-alive request every 15 s, RSS MiB / CPU cores (same windows)',
        value: each((r) => `${f1(r.baseline.steadyRssMiB)} / ${f3(r.baseline.cores)}`),
      },
      {
        figure: `agent / baseline at ${largest.appPods} pods: RSS / CPU`,
        value: `${f1(largest.agent.steadyRssMiB / largest.baseline.steadyRssMiB)}× / ${f1(largest.agent.cores / Math.max(largest.baseline.cores, 0.0001))}×`,
      },
      {
        figure: 'agent process: Node flags (from the image ENTRYPOINT) / window / warm-up',
        value: `${AGENT_NODE_FLAGS.join(' ') || 'none'} / ${WINDOW_S} s / first report + 10 s`,
      },
      { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadAtEnd}` },
    ];
    recordResults('agent-footprint', rows);
  } finally {
    disarm();
    baseline?.kill();
    await relay?.close();
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
