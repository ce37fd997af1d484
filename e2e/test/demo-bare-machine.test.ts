// `npm run demo` on a machine with Node and nothing else: nothing answers where the demo looks for
// PostgreSQL and Redis (it is pointed at ports where nothing listens; the machine's own servers are
// left alone), so it starts an embedded PostgreSQL with its data in the cache folder and a
// redis-server from PATH, reaches the running fleet, and stops all of it on SIGINT. A second run
// finds the data of the first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function startDemo(env: Record<string, string>, args: string[] = []): Promise<DemoRun> {
  const clean = { ...process.env };
  delete clean['DATABASE_URL'];
  delete clean['REDIS_URL'];
  delete clean['MESHFLEET_ENCRYPTION_KEYS'];
  const child = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs'), ...args], {
    cwd: ROOT,
    env: { ...clean, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b) => (out += b.toString()));
  child.stderr!.on('data', (b) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function until(run: DemoRun, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.output());
    if (m) return m;
    if (run.child.exitCode !== null)
      throw new Error(`the demo exited (${run.child.exitCode}):\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The processes listening on a TCP port (from /proc: ss and lsof are not everywhere). */
function pidsListeningOn(port: number): number[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      for (const fd of readdirSync(`/proc/${d}/fd`)) {
        const link = readlinkSync(`/proc/${d}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) {
          pids.push(Number(d));
          break;
        }
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** Runs a demo for one test; whatever happens, it is stopped (and its services with it). */
async function withDemo(
  env: Record<string, string>,
  args: string[],
  fn: (run: DemoRun) => Promise<void>,
): Promise<void> {
  const run = await startDemo(env, args);
  try {
    await fn(run);
  } finally {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGINT');
      const stopped = await Promise.race([run.exited.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) run.child.kill('SIGKILL');
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the demo on a bare machine', () => {
  let cache: string;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    cache = await mkdtemp(join(tmpdir(), 'mf-demo-cache-'));
    // Run as root (as in CI), PostgreSQL runs as the postgres user, which must enter this folder.
    await chmod(cache, 0o755);
    work = await mkdtemp(join(tmpdir(), 'mf-demo-work-'));
    env = {
      // Where the demo looks for local servers: ports where nothing listens.
      MESHFLEET_DEMO_POSTGRES_PORT: String(await freePort()),
      MESHFLEET_DEMO_REDIS_PORT: String(await freePort()),
      MESHFLEET_DEMO_CACHE_DIR: cache,
      MESHFLEET_DEMO_DIR: work,
      MESHFLEET_REDIS_PREFIX: `mf-demo-test-${process.pid}`,
      PORT: String(await freePort()),
    };
  });

  after(async () => {
    await rm(cache, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('starts PostgreSQL and Redis itself, runs the fleet, and leaves nothing running', () =>
    withDemo(env, [], async (run) => {
      const pg = await until(run, /Postgres: an embedded PostgreSQL in (\S+) \(new, port (\d+)\)/, 120_000);
      assert.ok(pg[1]!.startsWith(cache), `its data is in the cache folder: ${pg[1]}`);
      const redis = await until(
        run,
        /Redis: redis-server started for this run \(port (\d+), nothing kept\)/,
        5_000,
      );
      await until(run, /Meshfleet demo is running/, 300_000);
      assert.match(run.output(), /fleet-sim: 4 simulated clusters, agents enrolled/);
      assert.match(run.output(), /identity domain demo created/);

      const servers = [...pidsListeningOn(Number(pg[2])), ...pidsListeningOn(Number(redis[1]))];
      assert.equal(servers.length, 2, `one PostgreSQL and one redis-server listen: ${servers.join(', ')}`);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 0, run.output());
      assert.match(run.output(), /stopped\./);
      for (const pid of servers) assert.equal(alive(pid), false, `pid ${pid} is stopped`);
      assert.deepEqual(pidsListeningOn(Number(pg[2])), []);
    }));

  it('finds the first run’s data on the second (the identity domain and its anchor are still there)', () =>
    withDemo(env, [], async (run) => {
      await until(
        run,
        /Postgres: an embedded PostgreSQL in \S+ \(data from an earlier run, port \d+\)/,
        120_000,
      );
      await until(run, /Meshfleet demo is running/, 300_000);
      assert.match(run.output(), /identity domain demo reused/);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 0, run.output());
    }));

  it('--fresh starts over with an empty database', () =>
    withDemo(env, ['--fresh'], async (run) => {
      await until(run, /Postgres: an embedded PostgreSQL in \S+ \(new, port \d+\)/, 120_000);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 0, run.output());
    }));
});
