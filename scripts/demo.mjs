#!/usr/bin/env node
// `npm run demo`: a simulated fleet managed by Meshfleet, on this machine, in a few minutes.
// Checks Node; finds Postgres and Redis or starts them (scripts/demo-services.mjs: an embedded
// PostgreSQL, a local redis-server; `--fresh` wipes the embedded data); builds if needed; migrates; starts the API, the worker and
// fleet-sim (four simulated clusters, one real agent each, registered through GraphQL as a user
// would); creates an identity domain; installs Linkerd where there is none; prints how to explore
// it. Runs until Ctrl-C / SIGTERM, then stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { demoDatabase, demoRedis, ServiceError } from './demo-services.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Found or started in main() (DATABASE_URL / REDIS_URL when set).
let DATABASE_URL;
let REDIS_URL;
const FRESH = process.argv.includes('--fresh');
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? '127.0.0.1';
const PUBLIC_URL = process.env.MESHFLEET_PUBLIC_URL ?? `http://localhost:${PORT}`;
const API_URL = `http://127.0.0.1:${PORT}`;
const ADMIN_KEY = process.env.MESHFLEET_BOOTSTRAP_ADMIN_KEY ?? `mfk_demo_${randomBytes(16).toString('hex')}`;
const GENERATED_ENCRYPTION_KEY = !process.env.MESHFLEET_ENCRYPTION_KEYS;
// A generated key gets an id of its own, so a secret sealed under an earlier session's generated
// key is reported as sealed under a key this run does not hold (never opened with the wrong bytes).
// With the embedded PostgreSQL the key is kept with its data (resolveServices), so the demo's
// trust anchors survive a restart; otherwise it lasts one session.
const newDemoKey = () => `demo-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`;
let ENCRYPTION_KEYS = process.env.MESHFLEET_ENCRYPTION_KEYS ?? newDemoKey();
let KEPT_KEY_FILE = null;
const WORK_DIR = process.env.MESHFLEET_DEMO_DIR ?? join(tmpdir(), 'meshfleet-demo');
const LOG_DIR = join(WORK_DIR, 'logs');
const STATE_DIR = join(WORK_DIR, 'agents');
const KUBECONFIG_DIR = join(WORK_DIR, 'kubeconfig');
const SCENARIO = process.env.MESHFLEET_DEMO_SCENARIO ?? join(ROOT, 'libs/kube-sim/scenarios/demo.yaml');
const SETUP_TIMEOUT_S = Number(process.env.MESHFLEET_DEMO_TIMEOUT_SECONDS ?? 240);

const children = [];
/** Services this run started (embedded PostgreSQL, redis-server): stopped last, by process id. */
const services = [];
let shuttingDown = false;

const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (line) => say(`• ${line}`);

class DemoError extends Error {}

/** The URL without its password, for messages. */
function safeUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, timeoutMs, fn, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (shuttingDown) throw new DemoError('stopped');
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline)
      throw new DemoError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24) {
    throw new DemoError(
      `Meshfleet needs Node.js 24 (found ${process.version}): nvm use (see .nvmrc), then npm run demo`,
    );
  }
}

async function checkPostgres() {
  const tryConnect = async (url) => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  try {
    await tryConnect(DATABASE_URL);
    return false;
  } catch (e) {
    if (e?.code !== '3D000') {
      throw new DemoError(
        `Postgres is not reachable at ${safeUrl(DATABASE_URL)} (${e?.message ?? e}): start it, or run docker compose up -d postgres redis`,
      );
    }
  }
  // The server is there, the database is not: create it.
  const u = new URL(DATABASE_URL);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    throw new DemoError(`cannot create database ${name} at ${safeUrl(DATABASE_URL)}: ${e?.message ?? e}`);
  } finally {
    await c.end().catch(() => undefined);
  }
  return true;
}

async function checkRedis() {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError;
  redis.on('error', (e) => (lastError = e));
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } catch (e) {
    throw new DemoError(
      `Redis is not reachable at ${safeUrl(REDIS_URL)} (${(lastError ?? e)?.message ?? e}): start it, or run docker compose up -d postgres redis`,
    );
  } finally {
    redis.disconnect();
  }
}

function checkPortFree() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', () =>
      reject(new DemoError(`port ${PORT} is in use: stop what runs there, or run PORT=3100 npm run demo`)),
    );
    s.listen(PORT, HOST, () => s.close(() => resolve()));
  });
}

function runQuiet(what, cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new DemoError(`${what} failed (${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}):\n${out}`);
  }
}

function build() {
  const needed = [
    'apps/api/dist/src/main.js',
    'apps/worker/dist/src/main.js',
    'apps/fleet-sim/dist/src/main.js',
  ];
  if (needed.every((f) => existsSync(join(ROOT, f)))) return false;
  step('building (npm run build) ...');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new DemoError(`npm run build failed (exit ${r.status ?? r.signal})`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Processes

function logTail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function startChild(name, args, env) {
  const logFile = join(LOG_DIR, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, ['--enable-source-maps', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const entry = { name, child, logFile };
  child.once('exit', (code, signal) => {
    entry.exited = true;
    if (!shuttingDown) {
      process.stderr.write(
        `\ndemo: ${name} exited unexpectedly (${signal ?? `code ${code}`}); last lines of ${logFile}:\n${logTail(logFile)}\n`,
      );
      void shutdown(1);
    }
  });
  children.push(entry);
  return entry;
}

async function stopChild({ name, child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
  if (killed) {
    process.stderr.write(`demo: ${name} did not stop within 10 s; killing it\n`);
    child.kill('SIGKILL');
    await exited;
  }
}

async function stopServices() {
  for (const svc of services.splice(0).reverse()) {
    await svc
      .stop()
      .catch((e) => process.stderr.write(`demo: stopping ${svc.name} (pid ${svc.pid}): ${e}\n`));
  }
}

/** Finds PostgreSQL and Redis, or starts them; says in one line each which it uses. */
async function resolveServices() {
  mkdirSync(LOG_DIR, { recursive: true });
  const logTo = (file) => {
    const out = createWriteStream(join(LOG_DIR, file), { flags: 'a' });
    return (line) => out.write(line);
  };
  try {
    const redis = await demoRedis({ onLog: logTo('redis.log') });
    if (redis.stop) services.push({ name: 'redis-server', ...redis });
    REDIS_URL = redis.url;
    if (redis.describe) step(`Redis: ${redis.describe}`);
    const db = await demoDatabase({ fresh: FRESH, onLog: logTo('postgres.log') });
    if (db.stop) services.push({ name: 'postgres', ...db });
    DATABASE_URL = db.url;
    if (db.describe) step(`Postgres: ${db.describe}`);
    if (GENERATED_ENCRYPTION_KEY && db.keyFile) {
      if (!existsSync(db.keyFile)) writeFileSync(db.keyFile, newDemoKey(), { mode: 0o600 });
      ENCRYPTION_KEYS = readFileSync(db.keyFile, 'utf8').trim();
      KEPT_KEY_FILE = db.keyFile;
    }
  } catch (e) {
    if (e instanceof ServiceError) throw new DemoError(e.message);
    throw e;
  }
}

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('\nstopping fleet-sim, worker and api ...');
  // Agents first (they talk to the API), then the worker, then the API.
  for (const c of [...children].reverse()) await stopChild(c);
  await stopServices();
  say('stopped.');
  process.exit(code);
}

async function waitForApi(api) {
  await until('the API to answer /readyz', 60_000, async () => {
    if (api.exited)
      throw new DemoError(`the API exited during start-up; see ${api.logFile}:\n${logTail(api.logFile)}`);
    try {
      return (await fetch(`${API_URL}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  });
}

function waitForFleet(fleet) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new DemoError(`fleet-sim did not report ready within 120 s; see ${fleet.logFile}`)),
      120_000,
    );
    fleet.child.stdout.on('data', (b) => {
      buf += b.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        try {
          const msg = JSON.parse(line);
          if (msg.ready) {
            clearTimeout(timer);
            resolve(msg);
          }
        } catch {
          /* not the ready line */
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    fleet.child.once('exit', () => {
      clearTimeout(timer);
      reject(
        new DemoError(`fleet-sim exited during start-up; see ${fleet.logFile}:\n${logTail(fleet.logFile)}`),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// GraphQL, as a user would call it

async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch(`${API_URL}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new DemoError(`GraphQL request failed: ${e?.message ?? e}`);
  }
  const body = await res.json().catch(() => ({}));
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new DemoError(`GraphQL error ${e.extensions?.code ?? ''}: ${e.message}`);
  }
  if (!body.data) throw new DemoError(`GraphQL answered HTTP ${res.status} without data`);
  return body.data;
}

const CLUSTERS = `{ clusters(first: 200) { edges { node {
  id name provider region status kubernetesVersion
  health { status receivedAt } mtls { podCoverage } linkerd { installed version }
} } } }`;

async function clusters() {
  return (await gql(CLUSTERS)).clusters.edges.map((e) => e.node);
}

function kubeMinor(version) {
  const m = /(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function cmpMinor(a, b) {
  return a[0] - b[0] || a[1] - b[1];
}

function numericParts(version) {
  return (version.match(/\d+/g) ?? []).map(Number);
}

/** Newest release whose Kubernetes range covers the cluster; enterprise before edge within a major. */
function pickRelease(releases, kubernetesVersion) {
  const k = kubeMinor(kubernetesVersion);
  const fits = releases.filter((r) => {
    if (!k) return true;
    const min = kubeMinor(r.kubernetesMin);
    const max = r.kubernetesMax ? kubeMinor(r.kubernetesMax) : null;
    return (!min || cmpMinor(k, min) >= 0) && (!max || cmpMinor(k, max) <= 0);
  });
  fits.sort((a, b) => {
    const major = Number(b.major.split('.').pop()) - Number(a.major.split('.').pop());
    if (major) return major;
    const channel = (b.channel === 'enterprise') - (a.channel === 'enterprise');
    if (channel) return channel;
    const [pa, pb] = [numericParts(a.version), numericParts(b.version)];
    for (let i = 0; i < Math.max(pa.length, pb.length); i++)
      if ((pb[i] ?? 0) !== (pa[i] ?? 0)) return (pb[i] ?? 0) - (pa[i] ?? 0);
    return 0;
  });
  return fits[0] ?? null;
}

/**
 * The identity domain to install with: "demo" (or a later demo-<time>) if this API can still open
 * its trust anchor key, else a new one. A domain created under another MESHFLEET_ENCRYPTION_KEYS
 * (an earlier session's generated key, or a key set or changed since) cannot sign issuers now.
 */
async function identityDomain() {
  const existing = (
    await gql(`{ identityDomains { id name mode canSignIssuers encryptionKeyId createdAt } }`)
  ).identityDomains;
  const ours = existing
    .filter((d) => d.name === 'demo' || /^demo-\d{14}$/.test(d.name))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const usable = ours.find((d) => d.mode === 'MANAGED' && d.canSignIssuers);
  if (usable) return { ...usable, created: false };
  const name = existing.some((d) => d.name === 'demo')
    ? `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`
    : 'demo';
  const d = (
    await gql(`mutation($name: String!) { createIdentityDomain(input: { name: $name }) { id name } }`, {
      name,
    })
  ).createIdentityDomain;
  return { ...d, created: true, replaced: ours.length > 0 ? ours[0] : null };
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

async function installLinkerd(targets, releases, domain) {
  const ops = [];
  for (const c of targets) {
    const release = pickRelease(releases, c.kubernetesVersion);
    if (!release) {
      say(`  ${c.name}: no release in the catalog supports Kubernetes ${c.kubernetesVersion}; skipped`);
      continue;
    }
    const newest = pickRelease(releases, null);
    const note =
      newest && release.major !== newest.major
        ? ` (Kubernetes ${c.kubernetesVersion} is below ${newest.kubernetesMin}, the minimum of Linkerd ${newest.major})`
        : '';
    const op = (
      await gql(
        `mutation($c: ID!, $v: String!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: $v, identityDomainId: $d }) { id status } }`,
        { c: c.id, v: release.version, d: domain.id },
      )
    ).installLinkerd;
    say(`  ${c.name}: installLinkerd ${release.version}${note} → operation ${op.id}`);
    ops.push({ cluster: c.name, id: op.id, version: release.version, seen: 0 });
  }
  return { ops, failed: await waitOperations('install', ops) };
}

/** Polls the operations until each is finished, printing steps as they arrive; returns the failed ones. */
async function waitOperations(what, ops) {
  const results = await until(
    `the ${what} operations to finish`,
    SETUP_TIMEOUT_S * 1000,
    async () => {
      const now = await Promise.all(
        ops.map(
          async (o) =>
            (
              await gql(`query($id: ID!) { operation(id: $id) { id status error steps { step status } } }`, {
                id: o.id,
              })
            ).operation,
        ),
      );
      now.forEach((op, i) => {
        const o = ops[i];
        for (const s of op.steps.slice(o.seen)) {
          if (s.status !== 'progress') say(`    ${o.cluster}: ${s.step} ${s.status}`);
        }
        o.seen = op.steps.length;
      });
      return now.every((op) => TERMINAL.has(op.status)) ? now : null;
    },
    1000,
  );
  const failed = results.filter((op) => op.status !== 'SUCCEEDED');
  for (const op of failed) {
    const o = ops.find((x) => x.id === op.id);
    say(`  ${o.cluster}: ${what} ${op.status}: ${JSON.stringify(op.error)}`);
  }
  return failed;
}

/** After a fresh install, running pods have no proxy yet: restart the namespaces that ask for injection. */
async function restartDataPlanes(targets) {
  const ops = [];
  for (const c of targets) {
    const { cluster } = await gql(
      `query($id: ID!) { cluster(id: $id) { mtls { namespaces { name injection podCoverage } } } }`,
      { id: c.id },
    );
    const namespaces = (cluster.mtls?.namespaces ?? [])
      .filter((n) => n.injection === 'enabled' && n.podCoverage !== null && n.podCoverage < 1)
      .map((n) => n.name);
    if (!namespaces.length) continue;
    const op = (
      await gql(
        `mutation($c: ID!, $ns: [String!]) { restartDataPlane(clusterId: $c, namespaces: $ns) { id status } }`,
        { c: c.id, ns: namespaces },
      )
    ).restartDataPlane;
    say(
      `  ${c.name}: restartDataPlane ${namespaces.join(', ')} (annotated for injection) → operation ${op.id}`,
    );
    ops.push({ cluster: c.name, clusterId: c.id, id: op.id, seen: 0 });
  }
  if (!ops.length) return [];
  const failed = await waitOperations('restart', ops);
  if (failed.length)
    throw new DemoError(`${failed.length} data-plane restart(s) did not succeed (see above and ${LOG_DIR})`);
  return ops.map((o) => o.clusterId);
}

// ---------------------------------------------------------------------------------------------

function printGuide(ready) {
  const ids = ready.clusters.map((c) => c.clusterId);
  const one = ids[0] ?? '<cluster id>';
  const q1 = `{ clusters { edges { node { name provider status health { status } mtls { podCoverage } linkerd { version } } } } }`;
  const q2 = `{ cluster(id: "${one}") { name health { status categories { name checks { description result error } } } mtls { podCoverage trafficCoverage namespaces { name podCoverage } } } }`;
  const q3 = `{ operations(first: 10) { edges { node { kind status clusterId params steps { step status } } } } }`;
  say('');
  say('Meshfleet demo is running. Ctrl-C stops it.');
  say('');
  say(`  GraphQL (IDE in a browser): ${PUBLIC_URL}/graphql`);
  say(`  Admin API key:              ${ADMIN_KEY}`);
  say(`      (HTTP header  Authorization: Bearer ${ADMIN_KEY})`);
  say(`  CLI:  npm run meshfleet -- login --api-url ${API_URL} --api-key ${ADMIN_KEY}`);
  say(
    '        then e.g. npm run meshfleet -- clusters list; npm run meshfleet -- upgrade <cluster> --version <v>',
  );
  say('');
  say('Fleet overview:');
  say(`  ${q1}`);
  say('One cluster: its checks and mTLS:');
  say(`  ${q2}`);
  say('Operations:');
  say(`  ${q3}`);
  say('');
  say('With curl:');
  say(
    `  curl -s ${PUBLIC_URL}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${ADMIN_KEY}' \\\n` +
      `    -d '${JSON.stringify({ query: q1 })}'`,
  );
  say('');
  say('The simulated clusters (kubectl works against them):');
  for (const c of ready.clusters) say(`  kubectl --kubeconfig ${c.kubeconfig} get pods -A`);
  const victim = ready.clusters.find((c) => c.linkerdPreinstalled) ?? ready.clusters[0];
  if (victim) {
    say(`Break one on purpose (fault endpoint of ${victim.name}; DELETE the same URL to undo):`);
    say(
      `  curl -sk -X POST ${victim.faults} -H 'content-type: application/json' -d '{"kind":"expireIssuer"}'`,
    );
    say(
      `  curl -sk -X POST ${victim.faults} -H 'content-type: application/json' -d '{"kind":"crashPods","namespace":"linkerd","labels":{"linkerd.io/control-plane-component":"destination"}}'`,
    );
  }
  say('');
  say(
    `Logs: ${LOG_DIR}/{api,worker,fleet-sim}.log   Agent credentials: ${STATE_DIR}   Kubeconfigs: ${KUBECONFIG_DIR}`,
  );
  if (KEPT_KEY_FILE) {
    say(`MESHFLEET_ENCRYPTION_KEYS: generated once and kept with the embedded database (${KEPT_KEY_FILE}).`);
  } else if (GENERATED_ENCRYPTION_KEY) {
    say(
      'Note: MESHFLEET_ENCRYPTION_KEYS was generated for this session, so trust anchors created now are not readable after a restart (set it to keep them).',
    );
  }
}

function printFleet(list) {
  const rows = list.map((c) => [
    c.name,
    c.provider,
    c.status,
    c.health?.status ?? '-',
    c.mtls?.podCoverage == null ? '-' : `${Math.round(c.mtls.podCoverage * 100)}%`,
    c.linkerd?.installed ? c.linkerd.version : 'none',
  ]);
  const head = ['cluster', 'provider', 'status', 'health', 'mTLS pods', 'linkerd'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  for (const r of [head, ...rows]) say(`  ${r.map((v, i) => String(v).padEnd(w[i])).join('  ')}`);
}

async function main() {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  checkNode();
  await resolveServices();
  await checkRedis();
  const created = await checkPostgres();
  step(
    `Postgres ${safeUrl(DATABASE_URL)}${created ? ' (database created)' : ''}, Redis ${safeUrl(REDIS_URL)}: reachable`,
  );
  await checkPortFree();
  if (build()) step('built');
  runQuiet('applying migrations', 'npx', ['prisma', 'migrate', 'deploy'], { DATABASE_URL });
  step('migrations applied');

  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL,
    REDIS_URL,
    PORT: String(PORT),
    HOST,
    MESHFLEET_REDIS_PREFIX: process.env.MESHFLEET_REDIS_PREFIX ?? 'meshfleet-demo',
    // The worker's health and metrics port: a free one unless set (0 = picked at start, logged).
    MESHFLEET_WORKER_PORT: process.env.MESHFLEET_WORKER_PORT ?? '0',
    MESHFLEET_PUBLIC_URL: PUBLIC_URL,
    // The demo's agents run on this machine, next to the API.
    MESHFLEET_PUBLIC_URL_ALLOW_LOCAL: process.env.MESHFLEET_PUBLIC_URL_ALLOW_LOCAL ?? 'true',
    MESHFLEET_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    MESHFLEET_ENCRYPTION_KEYS: ENCRYPTION_KEYS,
    MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: process.env.MESHFLEET_HEARTBEAT_INTERVAL_SECONDS ?? '5',
    MESHFLEET_REPORT_INTERVAL_SECONDS: process.env.MESHFLEET_REPORT_INTERVAL_SECONDS ?? '15',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  const api = startChild('api', ['apps/api/dist/src/main.js'], env);
  await waitForApi(api);
  startChild('worker', ['apps/worker/dist/src/main.js'], env);
  step(
    `api ready at ${API_URL}, worker started (heartbeat ${env.MESHFLEET_HEARTBEAT_INTERVAL_SECONDS} s, reports ${env.MESHFLEET_REPORT_INTERVAL_SECONDS} s)`,
  );

  const fleetStartedAt = Date.now();
  const fleet = startChild(
    'fleet-sim',
    [
      'apps/fleet-sim/dist/src/main.js',
      '--register',
      '--gateway-api-crds',
      '--scenario',
      SCENARIO,
      '--state-dir',
      STATE_DIR,
      '--kubeconfig-dir',
      KUBECONFIG_DIR,
    ],
    { MESHFLEET_API_URL: API_URL, MESHFLEET_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: env.LOG_LEVEL },
  );
  const ready = await waitForFleet(fleet);
  step(`fleet-sim: ${ready.clusters.length} simulated clusters, agents enrolled:`);
  for (const c of ready.clusters) {
    say(
      `    ${c.name.padEnd(26)} ${c.provider.padEnd(6)} ${c.clusterId}  (${c.enrollment}${c.linkerdPreinstalled ? ', Linkerd pre-installed' : ''})`,
    );
  }
  const withCrds = ready.clusters.filter((c) => c.gatewayApiCrdsAdded).map((c) => c.name);
  if (withCrds.length) {
    step(
      `added the Gateway API CRDs (httproutes, grpcroutes) to ${withCrds.join(', ')}: Linkerd 2.19+ expects the platform team to bring them`,
    );
  }

  const mine = new Set(ready.clusters.map((c) => c.clusterId));
  const reported = await until('a first health report from every agent', 60_000, async () => {
    const list = (await clusters()).filter((c) => mine.has(c.id));
    // Reports from this session only: the database may hold an earlier session's.
    const fresh = (c) => c.health?.receivedAt && Date.parse(c.health.receivedAt) >= fleetStartedAt;
    return list.length === mine.size &&
      list.every((c) => c.status === 'CONNECTED' && c.linkerd !== null && fresh(c))
      ? list
      : null;
  });

  const targets = reported.filter((c) => !c.linkerd.installed);
  if (targets.length) {
    const domain = await identityDomain();
    step(
      domain.created
        ? `identity domain ${domain.name} created (a new ECDSA P-256 trust anchor)${domain.replaced ? `: "${domain.replaced.name}" exists, but its trust anchor key is sealed under encryption key ${domain.replaced.encryptionKeyId}, which this run's MESHFLEET_ENCRYPTION_KEYS does not hold` : ''}`
        : `identity domain ${domain.name} reused`,
    );
    const releases = (
      await gql(`{ linkerdReleases { version major channel kubernetesMin kubernetesMax simulated } }`)
    ).linkerdReleases;
    step(`installing Linkerd on ${targets.map((c) => c.name).join(', ')} (simulated release catalog):`);
    const { failed } = await installLinkerd(targets, releases, domain);
    if (failed.length)
      throw new DemoError(`${failed.length} install operation(s) did not succeed (see above and ${LOG_DIR})`);
    step('install operations succeeded; waiting for the agents to report the new control planes ...');
    const want = new Set(targets.map((c) => c.id));
    await until('reports showing Linkerd installed', 60_000, async () => {
      const list = (await clusters()).filter((c) => want.has(c.id));
      return list.every((c) => c.linkerd?.installed) ? list : null;
    });
    step('restarting namespaces annotated for injection, so pods that predate the mesh get proxies:');
    const restarted = new Set(await restartDataPlanes(targets));
    if (restarted.size) {
      step('data planes restarted; waiting for reports with the new mTLS coverage ...');
      await until('reports showing the restarted pods meshed', 60_000, async () => {
        const list = (await clusters()).filter((c) => restarted.has(c.id));
        return list.every((c) => (c.mtls?.podCoverage ?? 0) > 0) ? list : null;
      });
    }
  } else {
    step('every cluster already runs Linkerd; nothing to install');
  }

  say('');
  say('Fleet:');
  printFleet((await clusters()).filter((c) => mine.has(c.id)));
  printGuide(ready);
}

main().catch(async (e) => {
  if (shuttingDown) return;
  process.stderr.write(`demo: ${e instanceof DemoError ? e.message : (e?.stack ?? e)}\n`);
  if (children.length) {
    process.stderr.write(`logs: ${LOG_DIR}\n`);
    await shutdown(1);
  } else {
    await stopServices();
    process.exit(1);
  }
});
