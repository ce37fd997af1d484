// Fleet-wide mesh adoption with real agents (issue #17): real API and worker processes, one real
// agent per simulated cluster, every cluster already on Linkerd with an unmeshed `legacy`
// namespace. planMeshAdoptionRollout puts the canary first and leaves out a cluster without
// `legacy`; startMeshAdoptionRollout meshes `legacy` to 100 % on three clusters, batch by batch,
// each cluster passing its health gate. On two more clusters a workload that never turns Ready
// once meshed (the simulator's notReadyWhenMeshed fault) stops the rollout with a budget of 0,
// names the workload, and the agent rolls its batch (both of its workloads) back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { isMeshed, proxyStatus } from '@meshfleet/linkerd';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { eventually } from './sim-fixture';

const VERSION = 'enterprise-2.19.1';
const TERMINAL = ['SUCCEEDED', 'PAUSED', 'FAILED', 'ROLLED_BACK', 'ABORTED'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small cluster on Linkerd: `shop` meshed, `legacy` (three Deployments) not, unless withLegacy is false. */
function cluster(name: string, withLegacy = true) {
  return {
    name,
    provider: 'eks',
    kubernetesVersion: '1.33.2',
    nodes: 1,
    linkerd: { version: VERSION },
    namespaces: [
      { name: 'shop', inject: 'enabled', workloads: [{ name: 'web', replicas: 1, port: 8080 }] },
      ...(withLegacy
        ? [
            {
              name: 'legacy',
              workloads: [
                { name: 'audit', replicas: 1, port: 8080 },
                { name: 'billing', replicas: 1, port: 8080 },
                { name: 'ledger', replicas: 2, port: 8080 },
              ],
            },
          ]
        : []),
    ],
  };
}

const ROLLOUT = `id status action pausedReason meshParams
  targets { clusterName wave status reason operationId baselinePodCoverage }`;

describe('fleet-wide mesh adoption with real agents', { timeout: 600_000 }, () => {
  let fleet: E2eFleet;
  const id = (name: string) => fleet.member(name).clusterId;
  const q = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await fleet.q(query, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  const input = (clusters: string[], strategy: Record<string, unknown> = {}) => ({
    namespaces: ['legacy'],
    batchSize: 2,
    batchTimeoutSeconds: 10,
    selector: { clusterIds: clusters.map(id) },
    strategy: {
      canaryCount: 1,
      waveSizes: [2],
      maxUnavailable: 2,
      healthGateSeconds: 1,
      delayBetweenWavesSeconds: 0,
      ...strategy,
    },
  });
  const finished = async (rolloutId: string) => {
    const deadline = Date.now() + 150_000;
    for (;;) {
      await sleep(400);
      const r = (await q(`query($id: ID!) { rollout(id: $id) { ${ROLLOUT} } }`, { id: rolloutId })).rollout;
      if (TERMINAL.includes(r.status)) return r;
      if (Date.now() > deadline) throw new Error(`rollout still ${r.status}: ${JSON.stringify(r.targets)}`);
    }
  };
  const operation = async (opId: string) =>
    (
      await q(
        `query($id: ID!) { operation(id: $id) { kind status params error steps { step status message } } }`,
        {
          id: opId,
        },
      )
    ).operation;
  const legacyCoverage = async (name: string) =>
    (
      await q(
        `query($id: ID!) { cluster(id: $id) { mtls { namespaces { name podCoverage totalPods meshedPods } } } }`,
        {
          id: id(name),
        },
      )
    ).cluster.mtls.namespaces.find((n: any) => n.name === 'legacy');
  const pods = async (name: string, app: string) =>
    (await fleet.member(name).ops.list<V1Pod>('v1', 'Pod', 'legacy')).filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.phase === 'Running' &&
        p.metadata?.name?.startsWith(`${app}-`),
    );
  const ready = (p: V1Pod) =>
    (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const batchesStarted = (op: any) =>
    op.steps.filter((s: any) => s.step === 'batch' && s.status === 'started').map((s: any) => s.message);

  before(async () => {
    fleet = await startE2eFleet(
      [
        cluster('a-1'),
        cluster('a-2'),
        cluster('a-3'),
        cluster('a-nolegacy', false),
        cluster('f-1'),
        cluster('f-2'),
      ] as never,
      { rbac: 'MANAGED' },
    );
    // Every cluster has reported its namespaces (the plan reads the latest report).
    for (const n of ['a-1', 'a-2', 'a-3', 'f-1', 'f-2'])
      await eventually(
        () => legacyCoverage(n),
        (ns) => ns?.totalPods === 4,
        30_000,
        `${n} reported legacy`,
      );
  });
  after(async () => {
    await fleet?.stop();
  });

  it('plans the canary first and leaves out the cluster without legacy', async () => {
    const plan = (
      await q(
        `query($i: MeshAdoptionRolloutInput!) { planMeshAdoptionRollout(input: $i) {
          waves { name clusters { name } } excluded { clusterName code reason } } }`,
        { i: input(['a-1', 'a-2', 'a-3', 'a-nolegacy']) },
      )
    ).planMeshAdoptionRollout;
    assert.deepEqual(
      plan.waves.map((w: any) => [w.name, w.clusters.map((c: any) => c.name)]),
      [
        ['canary', ['a-1']],
        ['wave 1', ['a-2', 'a-3']],
      ],
    );
    assert.deepEqual(
      plan.excluded.map((e: any) => [e.clusterName, e.code]),
      [['a-nolegacy', 'MISSING_NAMESPACES']],
    );
    assert.match(plan.excluded[0].reason, /no namespace legacy/);
    assert.equal((await q(`{ rollouts { totalCount } }`)).rollouts.totalCount, 0, 'planning writes nothing');
  });

  it('meshes legacy from 0 % to 100 % on three clusters, canary first, in batches of 2', async () => {
    for (const n of ['a-1', 'a-2', 'a-3']) assert.equal((await legacyCoverage(n)).podCoverage, 0);
    const start = (
      await q(
        `mutation($i: MeshAdoptionRolloutInput!) { startMeshAdoptionRollout(input: $i) { id action } }`,
        { i: input(['a-1', 'a-2', 'a-3', 'a-nolegacy']) },
      )
    ).startMeshAdoptionRollout;
    assert.equal(start.action, 'MESH_NAMESPACES');
    const done = await finished(start.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(done.meshParams, {
      namespaces: ['legacy'],
      batchSize: 2,
      rollbackOnFailure: true,
      batchTimeoutSeconds: 10,
    });
    assert.deepEqual(
      done.targets.map((t: any) => [t.clusterName, t.wave, t.status, t.reason]),
      [
        ['a-1', 0, 'DONE', null],
        ['a-2', 1, 'DONE', null],
        ['a-3', 1, 'DONE', null],
      ],
    );
    const finishedAt: Record<string, string> = {};
    const createdAt: Record<string, string> = {};
    for (const t of done.targets) {
      // The gate's baseline: shop's pod meshed, legacy's four not (control plane pods aside).
      assert.ok(t.baselinePodCoverage > 0 && t.baselinePodCoverage < 1, JSON.stringify(t));
      const op = await operation(t.operationId);
      assert.equal(op.kind, 'MESH_NAMESPACES');
      assert.equal(op.status, 'SUCCEEDED', JSON.stringify(op.error));
      assert.equal(op.params.batchSize, 2);
      assert.deepEqual(batchesStarted(op), [
        'batch 1/2: Deployment/audit, Deployment/billing',
        'batch 2/2: Deployment/ledger',
      ]);
      assert.equal(op.steps.filter((s: any) => s.step === 'batch' && s.status === 'succeeded').length, 2);
      assert.ok(op.steps.some((s: any) => s.step === 'postcheck' && s.status === 'succeeded'));
      const full = (
        await q(`query($id: ID!) { operation(id: $id) { createdAt finishedAt } }`, { id: t.operationId })
      ).operation;
      finishedAt[t.clusterName] = full.finishedAt;
      createdAt[t.clusterName] = full.createdAt;
    }
    for (const n of ['a-2', 'a-3'])
      assert.ok(finishedAt['a-1']! <= createdAt[n]!, `the canary finished before ${n} started`);
    // The latest report of each cluster shows the namespace fully meshed (the gate waited for it).
    for (const n of ['a-1', 'a-2', 'a-3']) {
      const ns = await legacyCoverage(n);
      assert.deepEqual([ns.podCoverage, ns.meshedPods, ns.totalPods], [1, 4, 4], n);
      for (const app of ['audit', 'billing', 'ledger'])
        assert.ok(
          (await pods(n, app)).every((p) => isMeshed(p) && ready(p) && proxyStatus(p)?.ready),
          `${n} ${app} meshed and Ready`,
        );
    }
    // The cluster without legacy got no operation.
    const ops = (
      await q(`query($c: ID!) { operations(filter: { clusterId: $c }, first: 10) { totalCount } }`, {
        c: id('a-nolegacy'),
      })
    ).operations;
    assert.equal(ops.totalCount, 0);
  });

  it('stops on a workload that never turns Ready meshed (budget 0), names it and rolls its batch back', async () => {
    const faults = fleet.sim.cluster('f-2').faults;
    const rule = faults.notReadyWhenMeshed('legacy', 'billing');
    const start = (
      await q(`mutation($i: MeshAdoptionRolloutInput!) { startMeshAdoptionRollout(input: $i) { id } }`, {
        i: input(['f-1', 'f-2'], { waveSizes: [1], maxFailures: 0 }),
      })
    ).startMeshAdoptionRollout;
    const end = await finished(start.id);
    assert.equal(end.status, 'PAUSED', JSON.stringify(end));
    assert.match(end.pausedReason, /Failure budget exhausted: 1 failed \(budget 0\): f-2/);
    const [canary, failed] = end.targets;
    assert.deepEqual(
      [canary.clusterName, canary.status, failed.clusterName, failed.status],
      ['f-1', 'DONE', 'f-2', 'FAILED'],
    );
    assert.match(failed.reason, /Deployment\/legacy\/billing/);
    assert.equal((await legacyCoverage('f-1')).podCoverage, 1, 'the canary stays meshed');

    const op = await operation(failed.operationId);
    assert.equal(op.status, 'FAILED');
    assert.equal(op.error.code, 'MESH_BATCH_FAILED');
    assert.match(op.error.message, /Deployment\/legacy\/billing: .*not Ready/);
    assert.doesNotMatch(op.error.message, /legacy\/audit:/);
    assert.deepEqual(batchesStarted(op), ['batch 1/2: Deployment/audit, Deployment/billing']);
    assert.ok(op.steps.some((s: any) => s.step === 'batch' && s.status === 'failed'));
    assert.ok(
      op.steps.some(
        (s: any) =>
          s.step === 'rollback' && s.status === 'started' && /Deployment\/legacy\/billing/.test(s.message),
      ),
      JSON.stringify(op.steps),
    );
    assert.ok(op.steps.some((s: any) => s.step === 'rollback' && s.status === 'succeeded'));

    // Rolled back as the README says: the namespace keeps asking, the batch's workloads are opted
    // out and run Ready without a proxy (the fault only holds meshed pods), the next batch never ran.
    const billing = await fleet.member('f-2').ops.get<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'legacy',
      name: 'billing',
    });
    assert.equal(billing!.spec?.template.metadata?.annotations?.['linkerd.io/inject'], 'disabled');
    const rolledBack = await eventually(
      () => pods('f-2', 'billing'),
      (ps) => ps.length === 1 && ps.every(ready),
      15_000,
      'billing Ready',
    );
    assert.ok(
      rolledBack.every((p) => !isMeshed(p)),
      'billing runs without a proxy',
    );
    // The whole failed batch is rolled back, audit (which was meshed and Ready) with billing.
    assert.ok(
      op.steps.some(
        (s: any) =>
          s.step === 'rollback' &&
          s.status === 'succeeded' &&
          s.message === 'Deployment/legacy/audit, Deployment/legacy/billing restored and Ready',
      ),
      JSON.stringify(op.steps),
    );
    const audit = await pods('f-2', 'audit');
    assert.ok(audit.length === 1 && audit.every((p) => !isMeshed(p) && ready(p)), 'audit rolled back too');
    assert.ok(
      (await pods('f-2', 'ledger')).every((p) => !isMeshed(p)),
      'the next batch never ran',
    );

    faults.removeRule(rule);
    await sleep(500);
    const healed = await pods('f-2', 'billing');
    assert.ok(healed.length === 1 && healed.every((p) => ready(p) && !isMeshed(p)));
    // The report after the rollback: no legacy pod meshed.
    await eventually(
      () => legacyCoverage('f-2'),
      (ns) => ns.meshedPods === 0 && ns.totalPods === 4,
      15_000,
      'f-2 reports 0 of 4 legacy pods meshed',
    );
  });
});
