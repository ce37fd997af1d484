// The built API and worker as real child processes, for tests that cross process boundaries
// (agent ↔ API over HTTP, worker restarts). Build first: these run apps/*/dist.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { TestDatabase } from './test-database';
import { testRedisUrl, uniqueRedisPrefix } from './test-database';

/** The repository root (this file runs from libs/testing/dist/src). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface ProcessEnvOptions {
  db: TestDatabase;
  /** Fixed admin key; a random one is made if omitted. */
  adminKey?: string;
  heartbeatSeconds?: number;
  reportSeconds?: number;
  extra?: Record<string, string>;
}

export interface ProcessEnv {
  env: Record<string, string>;
  adminKey: string;
  redisPrefix: string;
}

/** Settings shared by an API and a worker of one test: same database, Redis prefix and keys. */
export function processEnv(o: ProcessEnvOptions): ProcessEnv {
  const adminKey = o.adminKey ?? `mfadmin_${randomBytes(16).toString('hex')}`;
  const redisPrefix = uniqueRedisPrefix();
  return {
    adminKey,
    redisPrefix,
    env: {
      NODE_ENV: 'test',
      DATABASE_URL: o.db.url,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: testRedisUrl(),
      MESHFLEET_REDIS_PREFIX: redisPrefix,
      MESHFLEET_BOOTSTRAP_ADMIN_KEY: adminKey,
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: String(o.heartbeatSeconds ?? 1),
      MESHFLEET_REPORT_INTERVAL_SECONDS: String(o.reportSeconds ?? 2),
      LOG_LEVEL: process.env.MESHFLEET_CHILD_LOG_LEVEL ?? 'warn',
      ...o.extra,
    },
  };
}

export interface ChildHandle {
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, resolves once the process has exited. */
  kill(): Promise<void>;
}

function handle(child: ChildProcess): ChildHandle {
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  return {
    child,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function spawnNode(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(REPO_ROOT, file)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    // Children's warnings and errors go to the test's stderr, where a failure can be read.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface ApiProcess extends ChildHandle {
  url: string;
  port: number;
}

/** Starts apps/api on a free port (MESHFLEET_PUBLIC_URL set to it) and waits for /readyz. */
export async function startApiProcess(env: Record<string, string>, port?: number): Promise<ApiProcess> {
  const p = port ?? (await freePort());
  const url = `http://127.0.0.1:${p}`;
  const child = spawnNode('apps/api/dist/src/main.js', {
    MESHFLEET_PUBLIC_URL: url,
    ...env,
    PORT: String(p),
    HOST: '127.0.0.1',
  });
  const h = handle(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) {
      await h.kill();
      throw new Error('API did not become ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...h, url, port: p };
}

/** Starts apps/worker. It needs no port; callers wait on the effects they expect. */
export function startWorkerProcess(env: Record<string, string>): ChildHandle {
  return handle(spawnNode('apps/worker/dist/src/main.js', env));
}
