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

function spawnNode(
  file: string,
  env: Record<string, string>,
  args: readonly string[] = [],
  stdout: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  return spawn(process.execPath, [join(REPO_ROOT, file), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    // Children's warnings and errors go to the test's stderr, where a failure can be read.
    stdio: ['ignore', stdout, 'inherit'],
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
    // Agents in these tests run on this machine, next to the API.
    MESHFLEET_PUBLIC_URL_ALLOW_LOCAL: 'true',
    ...env,
    PORT: String(p),
    HOST: '127.0.0.1',
  });
  const h = handle(child);
  // Generous: on a CI machine shared by several suites a cold Nest start can take half a minute.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) {
      await h.kill();
      throw new Error('API did not become ready within 90 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...h, url, port: p };
}

/** Starts apps/worker. It needs no port; callers wait on the effects they expect. */
export function startWorkerProcess(env: Record<string, string>): ChildHandle {
  // Any free port for its health endpoints, so workers of parallel tests never collide.
  return handle(spawnNode('apps/worker/dist/src/main.js', { MESHFLEET_WORKER_PORT: '0', ...env }));
}

export interface FleetSimCluster {
  name: string;
  clusterId: string;
  provider: string;
  region: string;
  linkerdPreinstalled: boolean;
  gatewayApiCrdsAdded: boolean;
  enrollment: string;
  /** Where fleet-sim wrote the cluster's kubeconfig (with --kubeconfig-dir), else null. */
  kubeconfig: string | null;
  /** The simulator's fault endpoint of the cluster (POST a fault, DELETE to clear). */
  faults: string;
}

export interface FleetSimProcess extends ChildHandle {
  /** The simulator's base URL (HTTPS; its admin API is under /_sim). */
  simulator: string;
  clusters: FleetSimCluster[];
}

/**
 * Starts apps/fleet-sim with `args` (e.g. --tokens-file, --scenario) and waits for its ready line
 * on stdout: every agent enrolled.
 */
export async function startFleetSimProcess(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<FleetSimProcess> {
  const child = spawnNode('apps/fleet-sim/dist/src/main.js', env, args, 'pipe');
  const h = handle(child);
  const ready = await new Promise<{ simulator: string; clusters: FleetSimCluster[] }>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      void h.kill();
      reject(new Error(`fleet-sim did not report ready within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fleet-sim exited with ${code} before it was ready`));
    });
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        let msg: { ready?: boolean; simulator: string; clusters: FleetSimCluster[] };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          continue; // stdout carries only the ready line; anything else is not ours to parse
        }
        if (!msg.ready) continue;
        clearTimeout(timer);
        resolve(msg);
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
  });
  return { ...h, ...ready };
}

/**
 * Starts the agent binary (agents/linkerd-agent) configured by `env` (KUBECONFIG, MESHFLEET_API_URL,
 * MESHFLEET_AGENT_STATE_FILE, ...), for tests that must kill an agent without letting it finish.
 */
export function startAgentProcess(env: Record<string, string>): ChildHandle {
  return handle(
    spawnNode('agents/linkerd-agent/dist/src/main.js', {
      LOG_LEVEL: process.env.MESHFLEET_CHILD_LOG_LEVEL ?? 'warn',
      MESHFLEET_AGENT_PORT: '0',
      MESHFLEET_AGENT_HOST: '127.0.0.1',
      ...env,
    }),
  );
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <args>` to completion without blocking the event loop (spawnSync would stall an
 * in-process API under test, whose keep-alive sockets then reset).
 */
export function runNode(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; encoding?: 'utf8' } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
