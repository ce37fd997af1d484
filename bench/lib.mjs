// Shared helpers for the benchmark scripts: start processes, seed data, measure latency.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as os from 'node:os';
import pg from 'pg';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_URL =
  process.env.MESHFLEET_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.MESHFLEET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `--name N` on the command line as a number, or `dflt`. */
export function numArg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** `--name VALUE` on the command line, or null. */
export function strArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; null elsewhere). */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks
  } catch {
    return null;
  }
}

/**
 * Settings of an API or worker process on a bench database: a pool of 20, the agents' rate limit
 * out of the way (one load generator plays thousands of agents), plus `extra`.
 */
export function serviceEnv(dbUrl, redisPrefix, extra = {}) {
  return {
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '20',
    MESHFLEET_REDIS_PREFIX: redisPrefix,
    MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
    ...extra,
  };
}

// Benchmarks drive load: they only ever target this machine.
for (const u of [ADMIN_URL, REDIS_URL]) {
  const host = new URL(u).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host))
    throw new Error(`benchmarks only run against 127.0.0.1; refusing ${host}`);
}

export function dbUrl(name) {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database for one benchmark run. */
export async function freshDatabase(tag) {
  const name = `mf_bench_${tag}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = dbUrl(name);
  await run('npx', ['prisma', 'migrate', 'deploy'], { DATABASE_URL: url });
  return { name, url, drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

export function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** SIGTERM, then SIGKILL if the process has not exited within graceMs. */
function stopChild(child, graceMs = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts the built API as its own process and waits for /readyz. */
export async function startApiProcess(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'apps/api/dist/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      // The bench's agents run on this machine, next to the API.
      MESHFLEET_PUBLIC_URL_ALLOW_LOCAL: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error('API did not become ready');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid,
    async rssBytes() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /^process_resident_memory_bytes (\d+)/m.exec(text);
      return m ? Number(m[1]) : null;
    },
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
    stop: () => stopChild(child),
  };
}

/** Seeds an organization with N enrolled clusters directly in Postgres; returns credentials. */
export async function seedClusters(url, n) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const org = (
      await c.query(
        `INSERT INTO "Organization" (id, name, "updatedAt") VALUES (gen_random_uuid(), 'bench', now()) RETURNING id`,
      )
    ).rows[0].id;
    const creds = [];
    for (let start = 0; start < n; start += 1000) {
      const batch = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const secret = `mfa_bench_${i}_${randomBytes(16).toString('hex')}`;
        batch.push({
          name: `bench-${String(i).padStart(6, '0')}`,
          secret,
          hash: createHash('sha256').update(secret).digest('hex'),
        });
      }
      const ids = await c.query(
        `INSERT INTO "Cluster" (id, "organizationId", name, provider, status, "updatedAt", "enrolledAt", "lastSeenAt")
         SELECT gen_random_uuid(), $1, unnest($2::text[]), 'EKS', 'CONNECTED', now(), now(), now() RETURNING id, name`,
        [org, batch.map((b) => b.name)],
      );
      const byName = new Map(ids.rows.map((r) => [r.name, r.id]));
      await c.query(
        `INSERT INTO "AgentCredential" (id, "organizationId", "clusterId", prefix, "credentialHash")
         SELECT gen_random_uuid(), $1, unnest($2::uuid[]), 'mfa_bench', unnest($3::text[])`,
        [org, batch.map((b) => byName.get(b.name)), batch.map((b) => b.hash)],
      );
      for (const b of batch) creds.push({ clusterId: byName.get(b.name), credential: b.secret });
    }
    return { organizationId: org, creds };
  } finally {
    await c.end();
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(latencies) {
  const s = [...latencies].sort((a, b) => a - b);
  const r = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return {
    count: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? null),
  };
}

/** Merges one benchmark's figures into bench/results/latest.json and rewrites the Markdown table. */
export function recordResults(name, rows) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { benchmarks: {} };
  all.machine = {
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  all.benchmarks[name] = {
    measuredAt: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    rows,
  };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  const lines = ['| benchmark | figure | value | goal | meets goal |', '| --- | --- | --- | --- | --- |'];
  for (const [bench, { rows: rs }] of Object.entries(all.benchmarks)) {
    for (const row of rs) {
      lines.push(
        `| ${bench} | ${row.figure} | ${row.value} | ${row.goal ?? '—'} | ${row.meets === undefined ? '—' : row.meets ? 'yes' : '**no**'} |`,
      );
    }
  }
  const notes = Object.entries(all.benchmarks)
    .filter(([, b]) => b.loadAverage)
    .map(([bench, b]) => `${bench} ${b.measuredAt} (load ${b.loadAverage.join(' / ')})`);
  if (notes.length)
    lines.push(
      '',
      `Measured on ${all.machine.cpus} CPUs, ${all.machine.memoryGiB} GiB, Node ${all.machine.node}; ` +
        `finished at, with the 1/5/15-min load average then: ${notes.join('; ')}.`,
    );
  writeFileSync(join(dir, 'latest.md'), `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

/** Starts the built worker as its own process and waits for its "worker ready" log line. */
export async function startWorkerProcess(env) {
  const child = spawn(process.execPath, [join(ROOT, 'apps/worker/dist/src/main.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', MESHFLEET_WORKER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error('worker did not become ready')), 30_000);
    const onExit = (code) => fail(new Error(`worker exited ${code} before becoming ready`));
    function fail(e) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(e);
    }
    child.on('exit', onExit);
    // stdout is drained for the whole run (a full pipe would block the worker); only the start is read.
    child.stdout.on('data', (chunk) => {
      if (seen === null) return;
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes('worker ready')) {
        seen = null;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    });
  });
  return {
    pid: child.pid,
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
    stop: () => stopChild(child),
  };
}

/** The 1-minute load average next to the CPU count, e.g. "3.1 on 2 CPUs". */
export function loadNote() {
  return `${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`;
}

/**
 * Hard stop for a benchmark: after ms, runs cleanup (bounded to 20 s) and exits 1. Returns a
 * function that disarms it.
 */
export function watchdog(ms, cleanup) {
  const timer = setTimeout(() => {
    console.error(`benchmark exceeded ${Math.round(ms / 1000)} s; stopping`);
    const bail = setTimeout(() => process.exit(1), 20_000);
    Promise.resolve()
      .then(cleanup)
      .catch((e) => console.error(e))
      .finally(() => {
        clearTimeout(bail);
        process.exit(1);
      });
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Deletes the Redis keys a benchmark's processes wrote under their MESHFLEET_REDIS_PREFIX. */
export async function dropRedisPrefix(prefix) {
  if (!/^mf_bench_[a-z0-9_]+$/.test(prefix)) throw new Error(`not a benchmark prefix: ${prefix}`);
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  let deleted = 0;
  try {
    let cursor = '0';
    for (let i = 0; i < 100_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// --- shared by fleet-summary and alert-webhook (and ingest's report payload) -------------------

/** Inserts an ADMIN API key for an organization (stored as sha256(secret), like the API does). */
export async function insertApiKey(url, organizationId, name = 'bench') {
  const secret = `mfk_bench_${randomBytes(32).toString('base64url')}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "ApiKey" (id, "organizationId", name, prefix, "keyHash", role)
       VALUES (gen_random_uuid(), $1, $2, 'mfk_bench', $3, 'ADMIN')`,
      [organizationId, name, createHash('sha256').update(secret).digest('hex')],
    );
  } finally {
    await c.end();
  }
  return secret;
}

/** POSTs GraphQL with an API key over a keep-alive socket; returns data, throws on errors. */
export function graphqlClient(apiUrl, apiKey) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  return (query, variables = {}) =>
    new Promise((resolve, reject) => {
      const data = JSON.stringify({ query, variables });
      const req = http.request(
        `${apiUrl}/graphql`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
            authorization: `Bearer ${apiKey}`,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (ch) => chunks.push(ch));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let body;
            try {
              body = JSON.parse(text);
            } catch {
              return reject(new Error(`GraphQL ${res.statusCode}: ${text.slice(0, 200)}`));
            }
            if (res.statusCode !== 200 || body.errors?.length)
              return reject(
                new Error(`GraphQL ${res.statusCode}: ${body.errors?.[0]?.message ?? text.slice(0, 200)}`),
              );
            resolve(body.data);
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('GraphQL request timed out')));
      req.on('error', reject);
      req.end(data);
    });
}

/** The built agent protocol library (exampleHealthReport, PROTOCOL_VERSION, …). */
export const agentProtocol = () => createRequire(import.meta.url)('../libs/agent-protocol/dist/src/index.js');

/** The example report grown to a realistic size: 12 namespaces of 6 workloads (~13 KiB). */
export function realisticReport() {
  const r = agentProtocol().exampleHealthReport();
  const ns0 = r.mtls.namespaces[0];
  r.mtls.namespaces = Array.from({ length: 12 }, (_, i) => ({
    ...ns0,
    name: `team-${i}`,
    workloads: Array.from({ length: 6 }, (_, j) => ({ ...ns0.workloads[0], name: `svc-${j}` })),
  }));
  return r;
}

/**
 * An agent-side HTTP client: post(path, body, credential) → { status, ms } against /agent/v1,
 * with its own keep-alive socket pool.
 */
export function agentPoster(apiUrl, maxSockets = 256) {
  const { PROTOCOL_VERSION } = agentProtocol();
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (path, body, credential) => {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request(
        `${apiUrl}/agent/v1${path}`,
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
  };
}
