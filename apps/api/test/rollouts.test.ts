// Fleet rollouts through the real API and worker; the agents are played over HTTP by this test
// (a real-agent upgrade on the simulator is covered in agents/linkerd-agent/test/operations-e2e).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INestApplicationContext } from '@nestjs/common';
import { PrismaService } from '@meshfleet/db';
import { startApi, startWorkerFor, TestApi } from './harness';
import { eventually, manualAgent, playedFleet } from './agent-http';

describe('fleet rollouts', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let fleet: ReturnType<typeof playedFleet>;

  const rollout = async (id: string) =>
    (
      await api.gql(
        `query($id: ID!) { rollout(id: $id) { status currentWave pausedReason targets { clusterName wave status reason operationId } } }`,
        { id },
        key,
      )
    ).data!.rollout;
  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
    });
    ({ apiKey: key } = await api.newOrg('rollouts'));
    worker = await startWorkerFor(api);
    const specs = [
      ['r-a', 'enterprise-2.19.1'],
      ['r-b', 'enterprise-2.19.1'],
      ['r-c', 'enterprise-2.19.1'],
      ['r-d', 'enterprise-2.19.1'],
      ['r-e', 'enterprise-2.19.1'],
      ['r-old', 'enterprise-2.18.0'],
    ] as const;
    fleet = playedFleet(api, key);
    for (const [name, version] of specs) await fleet.add({ name, version, labels: { ring: 'prod' } });
  });
  after(async () => {
    await fleet.stop();
    await worker?.close();
    await api.close();
  });

  const INPUT = (extra: Record<string, unknown> = {}) => ({
    targetVersion: 'enterprise-2.20.0',
    selector: { labelSelector: 'ring=prod' },
    strategy: { canaryCount: 1, waveSizes: [2], healthGateSeconds: 1, maxUnavailable: 2, ...extra },
  });

  it('plans canary and waves and lists the cluster it cannot upgrade, with the reason', async () => {
    const r = await api.gql(
      `query($i: RolloutInput!) { planRollout(input: $i) { waves { name clusters { name fromVersion } } excluded { clusterName code reason } } }`,
      { i: INPUT() },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const plan = r.data!.planRollout;
    assert.deepEqual(
      plan.waves.map((w: any) => [w.name, w.clusters.map((c: any) => c.name)]),
      [
        ['canary', ['r-a']],
        ['wave 1', ['r-b', 'r-c']],
        ['wave 2', ['r-d', 'r-e']],
      ],
    );
    assert.deepEqual(
      plan.excluded.map((e: any) => [e.clusterName, e.code]),
      [['r-old', 'SKIPS_MAJOR']],
    );
    assert.equal(await api.app.get(PrismaService).rollout.count(), 0, 'planning writes nothing');
  });

  it('pauses when a wave exhausts the failure budget, and finishes after the fault is fixed and it resumes', async () => {
    fleet.byName('r-c').failWith = {
      code: 'ROLLOUT_TIMEOUT',
      message: 'linkerd-destination never became available',
    };
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id status } }`,
      { i: INPUT() },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id;
    const paused = await eventually(
      () => rollout(id),
      (r) => r.status === 'PAUSED',
      40_000,
    );
    assert.match(paused.pausedReason, /Failure budget exhausted: 1 failed \(budget 0\)/);
    const byName = Object.fromEntries(paused.targets.map((t: any) => [t.clusterName, t]));
    assert.equal(byName['r-a'].status, 'DONE');
    assert.equal(byName['r-c'].status, 'FAILED');
    assert.match(byName['r-c'].reason, /never became available/);
    assert.equal(byName['r-d'].status, 'WAITING', 'no later wave starts while the budget is exhausted');
    assert.equal(byName['r-e'].status, 'WAITING');
    // The canary went first: it was upgraded before any wave-1 cluster.
    const a = fleet.byName('r-a');
    const b = fleet.byName('r-b');
    assert.ok(a.upgradedAt! < b.upgradedAt!, 'canary before wave 1');

    fleet.byName('r-c').failWith = null;
    const resumed = await api.gql(`mutation($id: ID!) { resumeRollout(id: $id) { status } }`, { id }, key);
    assert.equal(resumed.data!.resumeRollout.status, 'RUNNING');
    const done = await eventually(
      () => rollout(id),
      (r) => r.status === 'SUCCEEDED',
      40_000,
    );
    assert.ok(
      done.targets.every((t: any) => t.status === 'DONE'),
      JSON.stringify(done.targets),
    );
    assert.ok(
      fleet.clusters.filter((c) => c.name !== 'r-old').every((c) => c.version === 'enterprise-2.20.0'),
    );
    const events = await api.app
      .get(PrismaService)
      .domainEvent.findMany({ where: { type: { startsWith: 'rollout.' } }, orderBy: { createdAt: 'asc' } });
    const types = events.map((e) => e.type);
    for (const t of [
      'rollout.started',
      'rollout.wave_completed',
      'rollout.paused',
      'rollout.resumed',
      'rollout.wave_started',
      'rollout.succeeded',
    ])
      assert.ok(types.includes(t), `${t} in ${types}`);
  });

  it('names the failed clusters when pausing, and on resume retries a failure the budget had tolerated in an earlier wave', async () => {
    for (const name of ['t-a', 't-b', 't-c'])
      await fleet.add({ name, version: 'enterprise-2.19.1', labels: { ring: 'retry' } });
    const input = {
      targetVersion: 'enterprise-2.20.0',
      selector: { labelSelector: 'ring=retry' },
      strategy: { canaryCount: 1, waveSizes: [2], healthGateSeconds: 1, maxUnavailable: 2, maxFailures: 1 },
    };
    // The canary's failure fits the budget of one; a wave-1 failure exhausts it.
    fleet.byName('t-a').failWith = { code: 'POSTCHECK_FAILED', message: 'identity check failed' };
    fleet.byName('t-b').failWith = { code: 'POSTCHECK_FAILED', message: 'destination check failed' };
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id targets { clusterName wave } } }`,
      { i: input },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const { id, targets } = start.data!.startRollout;
    assert.deepEqual(
      targets.map((t: any) => [t.clusterName, t.wave]),
      [
        ['t-a', 0],
        ['t-b', 1],
        ['t-c', 1],
      ],
    );
    const paused = await eventually(
      () => rollout(id),
      (r) => r.status === 'PAUSED',
      40_000,
    );
    assert.match(paused.pausedReason, /Failure budget exhausted: 2 failed \(budget 1\): t-a, t-b\./);
    assert.equal(paused.currentWave, 1);

    fleet.byName('t-a').failWith = null;
    fleet.byName('t-b').failWith = null;
    await api.gql(`mutation($id: ID!) { resumeRollout(id: $id) { status } }`, { id }, key);
    const done = await eventually(
      () => rollout(id),
      (r) => r.status === 'SUCCEEDED',
      40_000,
    );
    assert.deepEqual(
      done.targets.map((t: any) => [t.clusterName, t.status]),
      [
        ['t-a', 'DONE'],
        ['t-b', 'DONE'],
        ['t-c', 'DONE'],
      ],
    );
    for (const name of ['t-a', 't-b', 't-c'])
      assert.equal(fleet.byName(name).version, 'enterprise-2.20.0', `${name} upgraded`);
  });

  it('refuses an empty rollout and aborts cleanly', async () => {
    const empty = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`,
      { i: INPUT() },
      key,
    );
    assert.equal(
      empty.errors?.[0]?.extensions?.['code'],
      'FAILED_PRECONDITION',
      'everything is already at 2.20',
    );
    const bad = await api.gql(
      `query($i: RolloutInput!) { planRollout(input: $i) { waves { name } } }`,
      { i: { ...INPUT(), strategy: { waveSizes: [1], wavePercentages: [50] } } },
      key,
    );
    assert.equal(bad.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });

  it('pages through rollouts and operations newest first, without gaps or repeats', async () => {
    for (const field of ['rollouts', 'operations'] as const) {
      const seen: string[] = [];
      let after: string | null = null;
      let total = -1;
      for (let page = 0; page < 100; page++) {
        const r: any = await api.gql(
          `query($a: String) { ${field}(first: 1, after: $a) { totalCount edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }`,
          { a: after },
          key,
        );
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        const conn = r.data[field];
        total = conn.totalCount;
        seen.push(...conn.edges.map((e: any) => e.node.id));
        const times = conn.edges.map((e: any) => Date.parse(e.node.createdAt));
        assert.deepEqual(
          times,
          [...times].sort((x, y) => y - x),
          `${field} newest first`,
        );
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      assert.ok(total >= 2, `${field}: several to page through (${total})`);
      assert.equal(seen.length, total, `${field}: every item once`);
      assert.equal(new Set(seen).size, total, `${field}: no repeats`);
    }
    const bad = await api.gql(`{ rollouts(first: 2, after: "nope") { totalCount } }`, {}, key);
    assert.equal(bad.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });
});

describe('rollout rollback and worker restarts', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let fleet: ReturnType<typeof playedFleet>;

  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
      MESHFLEET_OPERATION_MAX_ATTEMPTS: '1',
    });
    ({ apiKey: key } = await api.newOrg('rollback'));
    worker = await startWorkerFor(api);
    fleet = playedFleet(api, key);
    for (const name of ['rb-a', 'rb-b', 'rb-c'])
      await fleet.add({ name, version: 'enterprise-2.19.1', provider: 'GKE', labels: { ring: 'rb' } });
  });
  after(async () => {
    await fleet.stop();
    await worker?.close();
    await api.close();
  });

  it('rolls the failed wave back to its previous version, leaves the canary alone, and survives a worker restart', async () => {
    fleet.byName('rb-c').failWith = {
      code: 'POSTCHECK_FAILED',
      message: 'linkerd-identity errors after the upgrade',
    };
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`,
      {
        i: {
          targetVersion: 'enterprise-2.20.0',
          selector: { labelSelector: 'ring=rb' },
          strategy: {
            canaryCount: 1,
            waveSizes: [2],
            maxUnavailable: 2,
            healthGateSeconds: 1,
            autoRollback: true,
          },
        },
      },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id;
    // The worker dies right after the start; a new one picks the rollout up from Postgres.
    await worker.close();
    await new Promise((r) => setTimeout(r, 500));
    worker = await startWorkerFor(api);
    const get = async () =>
      (
        await api.gql(
          `query($id: ID!) { rollout(id: $id) { status pausedReason targets { clusterName status reason } } }`,
          { id },
          key,
        )
      ).data!.rollout;
    const end = Date.now() + 45_000;
    let r = await get();
    while (!['ROLLED_BACK', 'SUCCEEDED', 'PAUSED', 'FAILED'].includes(r.status) && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 300));
      r = await get();
    }
    assert.equal(r.status, 'ROLLED_BACK', JSON.stringify(r));
    assert.match(r.pausedReason, /Failure budget exhausted/);
    const v = Object.fromEntries(fleet.clusters.map((c) => [c.name, c.version]));
    assert.deepEqual(v, {
      'rb-a': 'enterprise-2.20.0',
      'rb-b': 'enterprise-2.19.1',
      'rb-c': 'enterprise-2.19.1',
    });
    const t = Object.fromEntries(r.targets.map((x: any) => [x.clusterName, x.status]));
    assert.deepEqual(t, { 'rb-a': 'DONE', 'rb-b': 'ROLLED_BACK', 'rb-c': 'ROLLED_BACK' });
    const types = (
      await api.app.get(PrismaService).domainEvent.findMany({ where: { type: { startsWith: 'rollout.' } } })
    ).map((e) => e.type);
    assert.ok(
      types.includes('rollout.failed') && types.includes('rollout.rolled_back'),
      JSON.stringify(types),
    );
  });

  it('releases a claim left by a worker that died before creating the upgrade, running or rolling back', async () => {
    const prisma = api.app.get(PrismaService);
    const template = (await prisma.rollout.findFirst())!;
    const d = await fleet.add({ name: 'rb-d', version: 'enterprise-2.19.1', provider: 'GKE' });
    const e = await fleet.add({ name: 'rb-e', version: 'enterprise-2.19.1', provider: 'GKE' });
    // What a dead worker leaves: the target claimed (UPGRADING) a while ago, no operation.
    const leftBehind = async (
      status: 'RUNNING' | 'ROLLING_BACK',
      c: { id: string; name: string },
      ageMs: number,
    ) => {
      const r = await prisma.rollout.create({
        data: {
          organizationId: template.organizationId,
          name: `claimed-${c.name}`,
          targetVersion: 'enterprise-2.20.0',
          selector: template.selector as object,
          strategy: template.strategy as object,
          status,
          createdBy: 'test',
          startedAt: new Date(),
          targets: {
            create: [
              {
                clusterId: c.id,
                clusterName: c.name,
                wave: 0,
                status: 'UPGRADING',
                fromVersion: 'enterprise-2.19.1',
              },
            ],
          },
        },
      });
      await prisma.$executeRaw`UPDATE "RolloutTarget" SET "updatedAt" = ${new Date(Date.now() - ageMs)} WHERE "rolloutId" = ${r.id}::uuid`;
      return r.id;
    };
    // Claimed 5 s ago, before the worker's next tick took the rollout's lock: released at that
    // tick, not after the 60 s a claim is otherwise given.
    const running = await leftBehind('RUNNING', d, 5_000);
    const rollingBack = await leftBehind('ROLLING_BACK', e, 120_000);
    const get = async (id: string) =>
      (await prisma.rollout.findUnique({ where: { id }, include: { targets: true } }))!;
    const done = await eventually(
      () => get(running),
      (r) => r.status === 'SUCCEEDED',
      30_000,
    );
    assert.equal(done.targets[0]!.status, 'DONE');
    assert.ok(done.finishedAt!.getTime() - done.startedAt!.getTime() < 30_000, 'well within the 60 s');
    assert.ok(done.targets[0]!.operationId, 'the upgrade was started after all');
    assert.equal(fleet.byName('rb-d').version, 'enterprise-2.20.0');
    const back = await eventually(
      () => get(rollingBack),
      (r) => r.status === 'ROLLED_BACK',
      30_000,
    );
    assert.deepEqual(
      back.targets.map((t) => [t.status, t.reason]),
      [['SKIPPED', 'rollout rolled back']],
    );
    assert.equal(fleet.byName('rb-e').version, 'enterprise-2.19.1', 'nothing ran on the rolled-back one');
  });

  it('reports a failed rollback once instead of starting it again', async () => {
    const prisma = api.app.get(PrismaService);
    const added = [];
    for (const name of ['rf-1', 'rf-2', 'rf-3', 'rf-4'])
      added.push(await fleet.add({ name, version: 'enterprise-2.19.1', provider: 'GKE' }));
    const input = {
      targetVersion: 'enterprise-2.20.0',
      selector: { clusterIds: added.map((c) => c.id) },
      strategy: {
        canaryCount: 1,
        waveSizes: [3],
        maxUnavailable: 3,
        healthGateSeconds: 1,
        autoRollback: true,
      },
    };
    const plan = await api.gql(
      `query($i: RolloutInput!) { planRollout(input: $i) { waves { clusters { name } } } }`,
      { i: input },
      key,
    );
    const [broken, fragile, slow] = plan.data!.planRollout.waves[1].clusters.map((c: any) => c.name);
    fleet.byName(broken).failWith = { code: 'POSTCHECK_FAILED', message: 'identity errors' };
    fleet.byName(fragile).failDowngrades = true;
    // A sibling's rollback is still running after the fragile one's has failed: ticks go on.
    let release = () => {};
    fleet.byName(slow).holdDowngrades = new Promise<void>((r) => (release = r));
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`,
      { i: input },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id;
    const target = (name: string) =>
      prisma.rolloutTarget.findFirstOrThrow({ where: { rolloutId: id, clusterName: name } });
    await eventually(
      () => target(fragile),
      (t) => t.status === 'FAILED' && (t.reason ?? '').startsWith('rollback '),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3000)); // several ticks while the slow rollback runs
    release();
    const done = await eventually(
      () => prisma.rollout.findUniqueOrThrow({ where: { id }, include: { targets: true } }),
      (r) => r.status === 'ROLLED_BACK',
      30_000,
    );
    const t = done.targets.find((x) => x.clusterName === fragile)!;
    assert.equal(t.status, 'FAILED');
    assert.match(t.reason ?? '', /^rollback FAILED: .*rollback broke the control plane/);
    assert.equal(done.targets.find((x) => x.clusterName === slow)!.status, 'ROLLED_BACK');
    // Its upgrade and one rollback: the failed rollback was not started again.
    const upgrades = await prisma.operation.count({
      where: { clusterId: fleet.byName(fragile).id, kind: 'UPGRADE' },
    });
    assert.equal(upgrades, 2);
  });
});

describe('aborting a rollout with upgrades in flight', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let fleet: ReturnType<typeof playedFleet>;
  let held: Awaited<ReturnType<typeof manualAgent>>[];

  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
    });
    ({ apiKey: key } = await api.newOrg('abort'));
    worker = await startWorkerFor(api);
    fleet = playedFleet(api, key);
    const labels = { ring: 'ab' };
    await fleet.add({ name: 'ab-a', version: 'enterprise-2.19.1', labels });
    held = [
      await manualAgent(api, key, { name: 'ab-b', version: 'enterprise-2.19.1', labels }),
      await manualAgent(api, key, { name: 'ab-c', version: 'enterprise-2.19.1', labels }),
    ];
    await fleet.add({ name: 'ab-d', version: 'enterprise-2.19.1', labels });
    await fleet.add({ name: 'ab-e', version: 'enterprise-2.19.1', labels });
  });
  after(async () => {
    await fleet.stop();
    await worker?.close();
    await api.close();
  });

  it('starts nothing after the abort, lets the in-flight upgrade finish and records every cluster truthfully', async () => {
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`,
      {
        i: {
          targetVersion: 'enterprise-2.20.0',
          selector: { labelSelector: 'ring=ab' },
          strategy: { canaryCount: 1, waveSizes: [2], maxUnavailable: 2, healthGateSeconds: 6 },
        },
      },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id;
    const get = async () =>
      (
        await api.gql(
          `query($id: ID!) { rollout(id: $id) { status currentWave finishedAt targets { clusterName status reason operationId } } }`,
          { id },
          key,
        )
      ).data!.rollout;
    const byName = (r: any) => Object.fromEntries(r.targets.map((t: any) => [t.clusterName, t]));

    // Wave 1 (ab-b, ab-c) starts once the canary passed its gate; both agents take their task.
    const [b, c] = held as [(typeof held)[0], (typeof held)[0]];
    const [taskB, taskC] = await Promise.all([b.takeTask(30_000), c.takeTask(30_000)]);
    await c.step(taskC, 'precheck', 'succeeded');
    await c.step(taskC, 'control-plane', 'started'); // ab-c is mid-upgrade and stays so
    await b.step(taskB, 'precheck', 'succeeded');
    await b.succeed(taskB); // ab-b is upgraded and sits in its health gate
    await eventually(
      get,
      (r) => byName(r)['ab-b'].status === 'GATING' && byName(r)['ab-c'].status === 'UPGRADING',
      15_000,
    );

    const aborted = await api.gql(
      `mutation($id: ID!) { abortRollout(id: $id) { status targets { clusterName status reason } } }`,
      { id },
      key,
    );
    assert.equal(aborted.errors, undefined, JSON.stringify(aborted.errors));
    const now = byName(aborted.data!.abortRollout);
    assert.equal(aborted.data!.abortRollout.status, 'ABORTED');
    assert.equal(now['ab-a'].status, 'DONE', 'the canary stays upgraded');
    assert.equal(now['ab-b'].status, 'DONE');
    assert.match(now['ab-b'].reason, /health gate cut short by the abort/);
    assert.equal(now['ab-c'].status, 'UPGRADING', 'the in-flight upgrade is not cut off');
    assert.equal(now['ab-d'].status, 'SKIPPED');
    assert.equal(now['ab-e'].reason, 'rollout aborted');

    // The held upgrade finishes after the abort; the worker records it against the target.
    await c.succeed(taskC);
    const settled = await eventually(get, (r) => byName(r)['ab-c'].status !== 'UPGRADING', 15_000);
    assert.equal(settled.status, 'ABORTED');
    assert.equal(byName(settled)['ab-c'].status, 'DONE');
    assert.match(byName(settled)['ab-c'].reason, /finished after the abort/);

    // Several ticks later still nothing started on the later wave.
    await new Promise((r) => setTimeout(r, 4_500));
    const last = await get();
    assert.equal(last.status, 'ABORTED');
    assert.deepEqual(
      last.targets.map((t: any) => [t.clusterName, t.status]),
      [
        ['ab-a', 'DONE'],
        ['ab-b', 'DONE'],
        ['ab-c', 'DONE'],
        ['ab-d', 'SKIPPED'],
        ['ab-e', 'SKIPPED'],
      ],
    );
    const prisma = api.app.get(PrismaService);
    const later = [fleet.byName('ab-d').id, fleet.byName('ab-e').id];
    assert.equal(
      await prisma.operation.count({ where: { clusterId: { in: later } } }),
      0,
      'no upgrade operation for the clusters of the later wave',
    );
    assert.deepEqual(Object.fromEntries(fleet.clusters.map((x) => [x.name, x.version])), {
      'ab-a': 'enterprise-2.20.0',
      'ab-d': 'enterprise-2.19.1',
      'ab-e': 'enterprise-2.19.1',
    });
    assert.deepEqual(
      [b.version, c.version],
      ['enterprise-2.20.0', 'enterprise-2.20.0'],
      'finished clusters stay on the new version',
    );
    const types = (
      await prisma.domainEvent.findMany({
        where: { type: { startsWith: 'rollout.' } },
        orderBy: { createdAt: 'asc' },
      })
    ).map((e) => [e.type, (e.payload as { wave?: number } | null)?.wave ?? null]);
    assert.ok(
      types.some(([t]) => t === 'rollout.aborted'),
      JSON.stringify(types),
    );
    assert.ok(
      !types.some(([t, w]) => t === 'rollout.wave_started' && w === 2),
      `wave 2 never started: ${JSON.stringify(types)}`,
    );
  });
});

describe('the health gate on pod mTLS coverage', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let fleet: ReturnType<typeof playedFleet>;

  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
    });
    ({ apiKey: key } = await api.newOrg('coverage-gate'));
    worker = await startWorkerFor(api);
    fleet = playedFleet(api, key);
  });
  after(async () => {
    await fleet.stop();
    await worker?.close();
    await api.close();
  });

  it('fails the cluster whose pod coverage dropped from its baseline and passes the one that kept it', async () => {
    const kept = await fleet.add({ name: 'g-kept', version: 'enterprise-2.19.1' });
    const dropped = await fleet.add({ name: 'g-dropped', version: 'enterprise-2.19.1' });
    dropped.meshedAfterUpgrade = 2;
    const start = await api.gql(
      `mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`,
      {
        i: {
          targetVersion: 'enterprise-2.20.0',
          selector: { clusterIds: [kept.id, dropped.id] },
          strategy: {
            canaryCount: 0,
            waveSizes: [2],
            maxUnavailable: 2,
            healthGateSeconds: 1,
            maxFailures: 1,
          },
        },
      },
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const done = await eventually(
      async () =>
        (
          await api.gql(
            `query($id: ID!) { rollout(id: $id) { status targets { clusterName status reason baselinePodCoverage } } }`,
            { id: start.data!.startRollout.id },
            key,
          )
        ).data!.rollout,
      (r) => r.status === 'SUCCEEDED',
      30_000,
    );
    const byName = Object.fromEntries(done.targets.map((t: any) => [t.clusterName, t]));
    assert.deepEqual(byName['g-kept'], {
      clusterName: 'g-kept',
      status: 'DONE',
      reason: null,
      baselinePodCoverage: 1,
    });
    assert.deepEqual(byName['g-dropped'], {
      clusterName: 'g-dropped',
      status: 'FAILED',
      reason: 'health gate: pod mTLS coverage dropped by 50.0 points',
      baselinePodCoverage: 1,
    });
  });
});
