import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, testRedisUrl, uniqueRedisPrefix } from '@meshfleet/testing';

const MAIN = join(__dirname, '..', 'src', 'main.js');

/** Runs the worker to completion (for start-up failures), collecting its output. */
function run(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('worker process', () => {
  it('starts against Postgres and Redis and stops gracefully on SIGTERM', async () => {
    const db = await createTestDatabase();
    try {
      const child = spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: db.url,
          REDIS_URL: testRedisUrl(),
          MESHFLEET_REDIS_PREFIX: uniqueRedisPrefix(),
          MESHFLEET_WORKER_PORT: '0',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 20_000;
      while (!out.includes('worker ready') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(out, /worker ready/);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      await db.drop();
    }
  });

  it('refuses to start with a malformed setting and names it', async () => {
    const r = await run({ DATABASE_URL: 'mysql://nope', REDIS_URL: testRedisUrl() });
    assert.equal(r.code, 2);
    assert.match(r.out, /DATABASE_URL/);
  });
});
