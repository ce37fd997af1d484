// Two API replicas and two workers on one Postgres and Redis, agents spread over both APIs: a
// fleet rollout dispatches each upgrade once, to one agent, and runs each target once while both
// workers tick it; subscriptions on either API see each change once; and a worker killed with
// SIGKILL in the middle of the rollout costs nothing (the other worker finishes it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { PrismaService } from '@meshfleet/db';
import { testRedisUrl } from '@meshfleet/testing';
import { eventually, playedFleet } from './agent-http';
import { startApi, startWorkerFor, TestApi } from './harness';

const FAST = {
  MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
  MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
};

/** A worker as its own process, so the test can kill it the hard way. */
async function workerProcess(api: TestApi): Promise<ChildProcess> {
  const main = join(__dirname, '..', '..', '..', 'worker', 'dist', 'src', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: api.db.url,
      REDIS_URL: testRedisUrl(),
      MESHFLEET_REDIS_PREFIX: api.app.get(AppConfig).redisPrefix,
      MESHFLEET_WORKER_PORT: '0',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('exit', (code, signal) => {
    if (code && code !== 0 && signal === null) console.error(`worker process exited ${code}: ${stderr}`);
  });
  return child;
}

/** Every message of a graphql-ws subscription on `api`, until disposed. */
async function collect(api: TestApi, token: string, query: string, variables: Record<string, unknown>) {
  const { createClient } = await import('graphql-ws');
  const WebSocket = (await import('ws')).default;
  const got: any[] = [];
  const client = createClient({
    url: `${api.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  const subscribed = new Promise<void>((resolve) => {
    client.on('connected', () => setTimeout(resolve, 200));
  });
  client.subscribe(
    { query, variables },
    { next: (m) => got.push(m.data), error: () => undefined, complete: () => undefined },
  );
  await subscribed;
  return { got, dispose: () => client.dispose() };
}

describe('two APIs and two workers on one Postgres and Redis', () => {
  let one: TestApi;
  let two: TestApi;
  let worker: INestApplicationContext;
  let killed: ChildProcess;
  let key: string;
  let fleetOne: ReturnType<typeof playedFleet>;
  let fleetTwo: ReturnType<typeof playedFleet>;

  before(async () => {
    one = await startApi(FAST);
    two = await startApi({
      ...FAST,
      DATABASE_URL: one.db.url,
      MESHFLEET_REDIS_PREFIX: one.app.get(AppConfig).redisPrefix,
    });
    ({ apiKey: key } = await one.newOrg('scale-out'));
    worker = await startWorkerFor(one);
    killed = await workerProcess(one);
    // Agents on both APIs: even ones talk to the first, odd ones to the second.
    fleetOne = playedFleet(one, key);
    fleetTwo = playedFleet(two, key);
    for (let i = 0; i < 12; i++)
      await (i % 2 === 0 ? fleetOne : fleetTwo).add({
        name: `so-${String(i).padStart(2, '0')}`,
        version: 'enterprise-2.19.1',
        labels: { ring: 'scale' },
      });
  });
  after(async () => {
    await fleetOne?.stop();
    await fleetTwo?.stop();
    if (killed && killed.exitCode === null && killed.signalCode === null) killed.kill('SIGKILL');
    await worker?.close();
    await two?.close();
    await one?.close();
  });

  it('runs a rollout once per target with both workers ticking, one killed mid-way, watched on both APIs', async () => {
    const all = [...fleetOne.clusters, ...fleetTwo.clusters];
    // One cluster of each API watched from the other API, and the rollout from both.
    const watchedOnOne = fleetTwo.clusters[0]!;
    const watchedOnTwo = fleetOne.clusters[0]!;
    const opQuery = `subscription($c: ID!) { operationUpdated(clusterId: $c) { id status } }`;
    const opsOnOne = await collect(one, key, opQuery, { c: watchedOnOne.id });
    const opsOnTwo = await collect(two, key, opQuery, { c: watchedOnTwo.id });

    const start = await two.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id status } }`,
      {
        i: {
          targetVersion: 'enterprise-2.20.0',
          selector: { labelSelector: 'ring=scale' },
          strategy: { canaryCount: 1, waveSizes: [4, 7], healthGateSeconds: 1, maxUnavailable: 7 },
        },
      },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id as string;
    const rolloutQuery = `subscription($id: ID!) { rolloutUpdated(id: $id) { status currentWave } }`;
    const rolloutOnOne = await collect(one, key, rolloutQuery, { id });
    const rolloutOnTwo = await collect(two, key, rolloutQuery, { id });

    // Kill the worker process hard once the first wave after the canary is under way.
    const rollout = async () =>
      (
        await one.gql(
          `query($id: ID!) { rollout(id: $id) { status currentWave targets { clusterName status operationId } } }`,
          { id },
          key,
        )
      ).data!.rollout;
    await eventually(
      () => rollout(),
      (r) => r.currentWave >= 1,
      30_000,
    );
    killed.kill('SIGKILL');
    await once(killed, 'exit');

    const done = await eventually(
      () => rollout(),
      (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED' || r.status === 'PAUSED',
      60_000,
      200,
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.ok(all.every((c) => c.version === 'enterprise-2.20.0'));

    // Each target has one operation, and no cluster was handed a task twice or an extra one.
    const prisma = one.app.get(PrismaService);
    const ops = await prisma.operation.findMany({
      where: { clusterId: { in: all.map((c) => c.id) } },
      select: { id: true, clusterId: true, status: true },
    });
    assert.equal(ops.length, all.length, 'one upgrade per cluster');
    assert.equal(new Set(ops.map((o) => o.clusterId)).size, all.length);
    assert.ok(ops.every((o) => o.status === 'SUCCEEDED'));
    for (const c of all) {
      const op = ops.find((o) => o.clusterId === c.id)!;
      assert.deepEqual(
        c.tasks.length,
        1,
        `${c.name} was handed ${c.tasks.length} task(s): ${c.tasks.join(', ')}`,
      );
      assert.ok(c.tasks[0]!.length > 0 && op.id, `${c.name} has its operation`);
    }
    assert.deepEqual(
      done.targets.map((t: any) => t.operationId).sort(),
      ops.map((o) => o.id).sort(),
      'the targets point at those operations',
    );

    // Subscribers on either API saw the change of a cluster served by the other API, once each.
    const finalOn = (got: any[], cluster: { id: string }) => {
      const opId = ops.find((o) => o.clusterId === cluster.id)!.id;
      return got.filter((m) => m.operationUpdated.id === opId && m.operationUpdated.status === 'SUCCEEDED');
    };
    await eventually(
      () => finalOn(opsOnOne.got, watchedOnOne).length + finalOn(opsOnTwo.got, watchedOnTwo).length,
      (n) => n >= 2,
      10_000,
    );
    // A moment for any duplicate to arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(finalOn(opsOnOne.got, watchedOnOne).length, 1, 'SUCCEEDED once on the first API');
    assert.equal(finalOn(opsOnTwo.got, watchedOnTwo).length, 1, 'SUCCEEDED once on the second API');
    for (const sub of [rolloutOnOne, rolloutOnTwo]) {
      const succeeded = sub.got.filter((m) => m.rolloutUpdated.status === 'SUCCEEDED');
      assert.equal(succeeded.length, 1, `rollout SUCCEEDED once: ${JSON.stringify(sub.got)}`);
    }
    for (const s of [opsOnOne, opsOnTwo, rolloutOnOne, rolloutOnTwo]) await s.dispose();
  });
});
