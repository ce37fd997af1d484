// Fleet-wide mesh adoption through the rollout engine, with agents played over HTTP: each takes
// MESH_NAMESPACES / UNMESH_NAMESPACES tasks, reports its steps and result, then a fresh report
// whose coverage shows what it did.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INestApplicationContext } from '@nestjs/common';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, eventually, linkerdReport, registerAndEnroll } from './agent-http';

const VERSION = 'enterprise-2.19.1';

interface MeshAgent {
  id: string;
  name: string;
  credential: string;
  meshed: boolean;
  hasLegacy: boolean;
  /** MESH tasks fail with this (a workload that never became Ready meshed). */
  failMesh: { code: string; message: string } | null;
  /** The report after meshing shows a pod of `shop` lost its proxy (coverage below the baseline). */
  dropAfterMesh?: boolean;
  tasks: string[];
}

/** The example report (shop meshed) plus `legacy`, meshed or not. */
function report(a: Pick<MeshAgent, 'meshed' | 'hasLegacy'>, installed = true): any {
  const r = linkerdReport(installed ? VERSION : null, { installed });
  if (!a.hasLegacy) return r;
  const meshed = a.meshed ? 3 : 0;
  r.mtls.namespaces.push({
    name: 'legacy',
    injection: a.meshed ? 'enabled' : 'unset',
    totalPods: 3,
    meshedPods: meshed,
    workloads: [
      {
        kind: 'Deployment',
        name: 'billing',
        injection: a.meshed ? 'enabled' : 'unset',
        totalPods: 3,
        meshedPods: meshed,
        proxyVersions: a.meshed ? [{ version: VERSION, count: 3 }] : [],
      },
    ],
    proxyVersions: a.meshed ? [{ version: VERSION, count: 3 }] : [],
    staleTrustBundlePods: 0,
  });
  r.mtls.totalPods = 7;
  r.mtls.meshedPods = 4 + meshed;
  r.mtls.podCoverage = (4 + meshed) / 7;
  return r;
}

describe('fleet-wide mesh adoption', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let running = true;
  const loops: Promise<void>[] = [];
  const agents: MeshAgent[] = [];
  const byName = (n: string) => agents.find((a) => a.name === n)!;
  const at = () => new Date().toISOString();

  const loop = async (a: MeshAgent) => {
    while (running) {
      const task = (await agentCall(api, 'GET', '/tasks/next?waitSeconds=1', a.credential).catch(() => null))
        ?.body?.task;
      if (!task) continue;
      a.tasks.push(`${task.kind}:${task.params.namespaces.join(',')}`);
      const step = (s: string, status: string, message: string) =>
        agentCall(api, 'POST', `/tasks/${task.id}/events`, a.credential, {
          taskId: task.id,
          step: s,
          status,
          message,
          at: at(),
        });
      await step('annotate', 'succeeded', 'namespace legacy: linkerd.io/inject=enabled');
      if (task.kind === 'MESH_NAMESPACES' && a.failMesh) {
        await step('batch', 'failed', 'batch 1/1: Deployment/billing not Ready');
        await step('rollback', 'succeeded', 'batch 1/1 rolled back');
        await agentCall(api, 'POST', `/tasks/${task.id}/result`, a.credential, {
          taskId: task.id,
          status: 'failed',
          finishedAt: at(),
          error: a.failMesh,
        });
        continue;
      }
      await step('batch', 'succeeded', 'batch 1/1: Deployment/billing');
      await step('postcheck', 'succeeded', 'linkerd check --proxy: 0 errors');
      a.meshed = task.kind === 'MESH_NAMESPACES';
      await agentCall(api, 'POST', `/tasks/${task.id}/result`, a.credential, {
        taskId: task.id,
        status: 'succeeded',
        finishedAt: at(),
        output: {
          kind: 'LIFECYCLE',
          controlPlaneVersion: VERSION,
          postcheck: { errors: 0, warnings: 0, summary: 'ok' },
        },
      });
      const after = report(a);
      if (a.dropAfterMesh && a.meshed) {
        after.mtls.meshedPods -= 4;
        after.mtls.podCoverage = after.mtls.meshedPods / after.mtls.totalPods;
      }
      await agentCall(api, 'POST', '/reports', a.credential, after);
    }
  };
  const add = async (name: string, ring: string, opts: { hasLegacy?: boolean; installed?: boolean } = {}) => {
    const c = await registerAndEnroll(api, key, { name, kubernetesVersion: 'v1.33.2', labels: { ring } });
    const a: MeshAgent = {
      ...c,
      name,
      meshed: false,
      hasLegacy: opts.hasLegacy ?? true,
      failMesh: null,
      tasks: [],
    };
    agents.push(a);
    assert.equal(
      (await agentCall(api, 'POST', '/reports', c.credential, report(a, opts.installed ?? true))).status,
      202,
    );
    loops.push(loop(a));
    return a;
  };
  const rollout = async (id: string) =>
    (
      await api.gql(
        `query($id: ID!) { rollout(id: $id) { action meshParams targetVersion status pausedReason targets { clusterName wave status reason operationId baselinePodCoverage } } }`,
        { id },
        key,
      )
    ).data!.rollout;
  const INPUT = (ring: string, strategy: Record<string, unknown> = {}) => ({
    namespaces: ['legacy'],
    batchSize: 2,
    selector: { labelSelector: `ring=${ring}` },
    strategy: { canaryCount: 1, waveSizes: [2], healthGateSeconds: 1, maxUnavailable: 2, ...strategy },
  });
  const START = `mutation($i: MeshAdoptionRolloutInput!) { startMeshAdoptionRollout(input: $i) { id status action } }`;

  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
    });
    ({ apiKey: key } = await api.newOrg('mesh-rollouts'));
    worker = await startWorkerFor(api);
    for (const n of ['m-a', 'm-b', 'm-c']) await add(n, 'prod');
    await add('m-bare', 'prod', { installed: false });
    await add('m-nolegacy', 'prod', { hasLegacy: false });
  });
  after(async () => {
    running = false;
    await Promise.all(loops);
    await worker?.close();
    await api.close();
  });

  it('plans canary and waves and excludes clusters without Linkerd or without the namespaces', async () => {
    const r = await api.gql(
      `query($i: MeshAdoptionRolloutInput!) { planMeshAdoptionRollout(input: $i) { waves { name clusters { name } } excluded { clusterName code reason } } }`,
      { i: INPUT('prod') },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const plan = r.data!.planMeshAdoptionRollout;
    assert.deepEqual(
      plan.waves.map((w: any) => [w.name, w.clusters.map((c: any) => c.name)]),
      [
        ['canary', ['m-a']],
        ['wave 1', ['m-b', 'm-c']],
      ],
    );
    assert.deepEqual(
      plan.excluded.map((e: any) => [e.clusterName, e.code]),
      [
        ['m-bare', 'NOT_INSTALLED'],
        ['m-nolegacy', 'MISSING_NAMESPACES'],
      ],
    );
    assert.match(plan.excluded[1].reason, /no namespace legacy/);
    assert.equal(await api.app.get(PrismaService).rollout.count(), 0, 'planning writes nothing');
  });

  it('refuses Linkerd and system namespaces and bad batch sizes before planning', async () => {
    for (const [namespaces, batchSize, reason] of [
      [['kube-system'], 1, 'EXCLUDED'],
      [['legacy', 'legacy'], 1, 'DUPLICATE'],
      [['legacy'], 0, 'OUT_OF_RANGE'],
    ] as const) {
      const r = await api.gql(START, { i: { ...INPUT('prod'), namespaces, batchSize } }, key);
      if (reason === 'EXCLUDED') {
        // Every cluster refuses kube-system: nothing to run.
        assert.equal(errorCode(r), 'FAILED_PRECONDITION', JSON.stringify(r.errors));
        assert.equal(r.errors![0]!.extensions!['reason'], 'EMPTY_PLAN');
      } else {
        assert.equal(errorCode(r), 'BAD_USER_INPUT', JSON.stringify(r.errors));
        assert.equal(r.errors![0]!.extensions!['reason'], reason);
      }
    }
    assert.equal(await api.app.get(PrismaService).rollout.count(), 0);
  });

  it('meshes the namespace on three clusters, canary first, each passing its health gate', async () => {
    const start = await api.gql(START, { i: INPUT('prod') }, key);
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    assert.equal(start.data!.startMeshAdoptionRollout.action, 'MESH_NAMESPACES');
    const id = start.data!.startMeshAdoptionRollout.id;
    const done = await eventually(
      () => rollout(id),
      (r) => ['SUCCEEDED', 'PAUSED', 'FAILED', 'ROLLED_BACK'].includes(r.status),
      45_000,
      200,
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(done.meshParams, { namespaces: ['legacy'], batchSize: 2, rollbackOnFailure: true });
    assert.deepEqual(
      done.targets.map((t: any) => [t.clusterName, t.wave, t.status]),
      [
        ['m-a', 0, 'DONE'],
        ['m-b', 1, 'DONE'],
        ['m-c', 1, 'DONE'],
      ],
    );
    // The gate measured from the coverage before meshing (4 of 7 pods).
    for (const t of done.targets)
      assert.ok(Math.abs(t.baselinePodCoverage - 4 / 7) < 1e-9, JSON.stringify(t));
    const prisma = api.app.get(PrismaService);
    for (const t of done.targets) {
      const op = await prisma.operation.findUniqueOrThrow({ where: { id: t.operationId } });
      assert.equal(op.kind, 'MESH_NAMESPACES');
      assert.equal((op.params as any).batchSize, 2);
      assert.equal(byName(t.clusterName).meshed, true);
    }
    for (const n of ['m-bare', 'm-nolegacy']) assert.deepEqual(byName(n).tasks, [], `${n} was left out`);
    const canary = await prisma.operation.findUniqueOrThrow({ where: { id: done.targets[0].operationId } });
    const wave1 = await prisma.operation.findUniqueOrThrow({ where: { id: done.targets[1].operationId } });
    assert.ok(canary.finishedAt! <= wave1.createdAt, 'the canary finished before wave 1 started');
    const history = await prisma.clusterHealth.findUniqueOrThrow({ where: { clusterId: byName('m-b').id } });
    assert.equal((history.report as any).mtls.podCoverage, 1);
  });

  it('stops on a failed cluster (budget 0) and rolls its wave back by unmeshing', async () => {
    for (const n of ['f-a', 'f-b', 'f-c']) await add(n, 'fail');
    byName('f-c').failMesh = {
      code: 'BATCH_NOT_READY',
      message: 'Deployment/billing in legacy never became Ready meshed',
    };
    const start = await api.gql(START, { i: INPUT('fail', { maxFailures: 0, autoRollback: true }) }, key);
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startMeshAdoptionRollout.id;
    const end = await eventually(
      () => rollout(id),
      (r) => ['SUCCEEDED', 'PAUSED', 'FAILED', 'ROLLED_BACK'].includes(r.status),
      45_000,
      200,
    );
    assert.equal(end.status, 'ROLLED_BACK', JSON.stringify(end));
    assert.match(end.pausedReason, /Failure budget exhausted/);
    const t = Object.fromEntries(end.targets.map((x: any) => [x.clusterName, x.status]));
    assert.deepEqual(t, { 'f-a': 'DONE', 'f-b': 'ROLLED_BACK', 'f-c': 'ROLLED_BACK' });
    // The canary keeps its mesh; wave 1 was unmeshed (f-c too: earlier batches may have meshed).
    assert.deepEqual(byName('f-a').tasks, ['MESH_NAMESPACES:legacy']);
    assert.deepEqual(byName('f-b').tasks, ['MESH_NAMESPACES:legacy', 'UNMESH_NAMESPACES:legacy']);
    assert.deepEqual(byName('f-c').tasks, ['MESH_NAMESPACES:legacy', 'UNMESH_NAMESPACES:legacy']);
    assert.equal(byName('f-a').meshed, true);
    assert.equal(byName('f-b').meshed, false);
    const failedOp = await api.app.get(PrismaService).operation.findFirstOrThrow({
      where: { clusterId: byName('f-c').id, kind: 'MESH_NAMESPACES' },
    });
    assert.equal(failedOp.status, 'FAILED');
    assert.match(JSON.stringify(failedOp.error), /never became Ready meshed/);
  });

  it('fails the health gate when pod coverage ends below the baseline, and pauses on the budget', async () => {
    const g = await add('g-a', 'gate');
    g.dropAfterMesh = true;
    const start = await api.gql(START, { i: INPUT('gate', { maxFailures: 0 }) }, key);
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const end = await eventually(
      () => rollout(start.data!.startMeshAdoptionRollout.id),
      (r) => ['SUCCEEDED', 'PAUSED', 'FAILED', 'ROLLED_BACK'].includes(r.status),
      45_000,
      200,
    );
    assert.equal(end.status, 'PAUSED', JSON.stringify(end));
    assert.equal(end.targets[0].status, 'FAILED');
    // 4 of 7 before, 3 of 7 after: the operation succeeded but the mesh lost a proxy elsewhere.
    assert.match(end.targets[0].reason, /health gate: pod mTLS coverage dropped by 14\.3 points/);
    assert.match(end.pausedReason, /Failure budget exhausted: 1 failed \(budget 0\): g-a/);
  });
});
