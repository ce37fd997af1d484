// A fleet rollout end to end (issue #6): real API and worker processes, twenty real agents on
// twenty simulated clusters that start on Linkerd 2.19, GraphQL planRollout / startRollout to 2.20.
// Waves must wait for the previous wave's health gate, a broken data plane in wave 2 must pause the
// rollout once the failure budget is spent, and a worker killed mid-rollout must pick up where it
// was without upgrading any cluster twice. Eight more clusters on 2.19.0 go to 2.19.1: a failed wave
// is rolled back automatically, and an abort lets the upgrade in flight finish and starts no other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type KubeObject, type Simulator } from '@meshfleet/kube-sim';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type ChildHandle,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '../src';
import { gatewayApiCrds } from './lifecycle-fixture';
import { eventually, quietLog } from './sim-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FROM = 'enterprise-2.19.1';
const TO = 'enterprise-2.20.0';
const CLUSTERS = 20;
const RB_FROM = 'enterprise-2.19.0';
const RB_TO = 'enterprise-2.19.1';
const RB_CLUSTERS = 8; // rb-1 … rb-8, label ring=rb
const GATE_SECONDS = 3;
const PROVIDERS = ['aks', 'eks', 'gke', 'onprem'] as const;

/** Small clusters: one node, a meshed namespace (and an unmeshed one on every other cluster). */
function clusterSpec(i: number, name = `fleet-${String(i).padStart(2, '0')}`, version: string = FROM) {
  return {
    name,
    provider: PROVIDERS[i % PROVIDERS.length]!,
    kubernetesVersion: '1.33.2',
    nodes: 1,
    linkerd: { version },
    namespaces: [
      {
        name: 'shop',
        inject: 'enabled' as const,
        workloads: [{ name: 'web', replicas: 2, port: 8080, service: false }],
      },
      ...(i % 2 ? [{ name: 'batch', workloads: [{ name: 'report', replicas: 1, port: 9000 }] }] : []),
    ],
  };
}

const STRATEGY = {
  canaryCount: 2,
  waveSizes: [6, 6],
  maxUnavailable: 3,
  maxFailures: 1,
  healthGateSeconds: GATE_SECONDS,
  delayBetweenWavesSeconds: 1,
  requireApproval: false,
};
const ROLLOUT = `id status currentWave pausedReason
  targets { clusterId clusterName wave status reason operationId }`;

type Target = {
  clusterId: string;
  clusterName: string;
  wave: number;
  status: string;
  reason: string | null;
  operationId: string | null;
};
type Op = {
  id: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  error: { code?: string; message?: string } | null;
};

describe('fleet rollout with real agents', { timeout: 1_200_000 }, () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle;
  let env: Record<string, string>;
  let adminKey: string;
  const agents: RunningAgent[] = [];
  const ids = new Map<string, string>(); // cluster name → id

  const q = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<Record<string, any>>(api.url, query, variables, adminKey);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  // Polled a few times a second, not the fixture's 20: the machine is busy enough.
  const rollout = async (
    id: string,
  ): Promise<{ status: string; currentWave: number } & Record<string, any>> => {
    await sleep(300);
    return (await q(`query($id: ID!) { rollout(id: $id) { ${ROLLOUT} } }`, { id })).rollout;
  };
  /** Like `eventually`, but a timeout names every target's state (and why the failed ones failed). */
  const waitRollout = async (id: string, ok: (r: any) => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await rollout(id);
      if (ok(r)) return r;
      if (Date.now() > deadline) {
        const targets = r.targets.map(
          (t: Target) => `${t.clusterName}=${t.status}${t.status === 'FAILED' ? ` (${t.reason})` : ''}`,
        );
        throw new Error(
          `timed out waiting for ${what}: ${r.status} wave ${r.currentWave}; ${targets.join(', ')}`,
        );
      }
    }
  };
  const fleet = async () => {
    await sleep(300);
    return (
      await q(`{ clusters(first: 100) { edges { node {
        id name status health { status } linkerd { version } } } } }`)
    ).clusters.edges.map((e: any) => e.node) as {
      id: string;
      name: string;
      status: string;
      health: { status: string };
      linkerd: { version: string | null } | null;
    }[];
  };
  const upgrades = async (clusterId: string): Promise<Op[]> =>
    (
      await q(
        `query($c: ID!) { operations(filter: { clusterId: $c, kind: UPGRADE }, first: 20) {
          edges { node { id status createdAt finishedAt error } } } }`,
        { c: clusterId },
      )
    ).operations.edges.map((e: any) => e.node);

  before(
    async () => {
      sim = await startSimulator({
        scenario: {
          clusters: [
            ...Array.from({ length: CLUSTERS }, (_, i) => clusterSpec(i + 1)),
            ...Array.from({ length: RB_CLUSTERS }, (_, i) => clusterSpec(i + 1, `rb-${i + 1}`, RB_FROM)),
          ],
        },
        podReadyDelayMs: 20,
      });
      // The platform team brings the Gateway API CRDs that Linkerd 2.19+ needs.
      for (const name of sim.clusters)
        for (const crd of gatewayApiCrds()) sim.cluster(name).model.ensure(crd as unknown as KubeObject);
      db = await createTestDatabase();
      const p = processEnv({
        db,
        // Twenty agents share this process with the simulator: keep their chatter low.
        heartbeatSeconds: 3,
        reportSeconds: 4,
        extra: {
          DATABASE_POOL_SIZE: '10',
          MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
          MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
        },
      });
      env = p.env;
      adminKey = p.adminKey;
      api = await startApiProcess(env);
      worker = startWorkerProcess(env);
      const stateDir = await mkdtemp(join(tmpdir(), 'mf-rollout-e2e-'));
      const started = await Promise.all(
        sim.clusters.map(async (name, i) => {
          const reg = (
            await q(
              `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) {
              cluster { id } bootstrapToken { token } } }`,
              {
                i: {
                  name,
                  provider: PROVIDERS[(i + 1) % 4]!.toUpperCase(),
                  labels: { ring: name.startsWith('rb-') ? 'rb' : 'rollout' },
                },
              },
            )
          ).registerCluster;
          ids.set(name, reg.cluster.id);
          const agent = await startAgent(
            {
              ...loadAgentConfig({
                MESHFLEET_AGENT_PORT: '0',
                MESHFLEET_AGENT_HOST: '127.0.0.1',
                MESHFLEET_SCRAPE_MAX_PODS: '0',
              }),
              apiUrl: api.url,
              kubeconfigYaml: sim.kubeconfigFor(name),
              bootstrapToken: reg.bootstrapToken.token,
              stateFile: join(stateDir, `${name}.json`),
              reportDebounceMs: 200,
            },
            { logger: quietLog, reportMinSpacingMs: 2000 },
          );
          agents.push(agent);
          return agent;
        }),
      );
      await Promise.all(started.map((a) => a.ready()));
      await eventually(
        fleet,
        (cs) =>
          cs.length === CLUSTERS + RB_CLUSTERS &&
          cs.every(
            (c) =>
              c.status === 'CONNECTED' &&
              c.linkerd?.version === (c.name.startsWith('rb-') ? RB_FROM : FROM) &&
              c.health.status !== 'UNKNOWN',
          ),
        60_000,
        'every agent reporting its first version',
      );
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await Promise.allSettled(agents.map((a) => a.stop()));
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  // Minutes on a shared CI machine, not the default three.
  it(
    'runs canary then waves behind health gates, pauses on a broken wave-2 cluster, survives a worker kill and finishes on 2.20',
    { timeout: 900_000 },
    async () => {
      const input = { targetVersion: TO, selector: { labelSelector: 'ring=rollout' }, strategy: STRATEGY };
      const plan = (
        await q(
          `query($i: RolloutInput!) { planRollout(input: $i) { waves { index name clusters { id name fromVersion } } excluded { clusterName code } } }`,
          { i: input },
        )
      ).planRollout;
      assert.deepEqual(plan.excluded, []);
      assert.deepEqual(
        plan.waves.map((w: any) => [w.name, w.clusters.length]),
        [
          ['canary', 2],
          ['wave 1', 6],
          ['wave 2', 6],
          ['wave 3', 6],
        ],
      );
      assert.ok(plan.waves.every((w: any) => w.clusters.every((c: any) => c.fromVersion === FROM)));
      const waveOf = new Map<string, number>(
        plan.waves.flatMap((w: any) => w.clusters.map((c: any) => [c.id, w.index] as const)),
      );

      // Two wave-2 clusters get a data plane whose pods crash-loop: their upgrade's post-check fails.
      // Two failures are more than the budget of one.
      const broken: string[] = plan.waves[2].clusters.slice(0, 2).map((c: any) => c.name);
      for (const name of broken) sim.cluster(name).faults.crashPods('shop');

      const id = (
        await q(`mutation($i: RolloutInput!) { startRollout(input: $i) { id status } }`, { i: input })
      ).startRollout.id;

      // Kill the worker while wave 1 is upgrading; a new one must carry on from Postgres.
      const midWave1 = await waitRollout(
        id,
        (r) => r.currentWave === 1 && r.targets.some((t: Target) => t.wave === 1 && t.status === 'UPGRADING'),
        240_000,
        'wave 1 upgrading',
      );
      await worker.kill();
      const waveAtKill = midWave1.currentWave;
      await sleep(1500);
      worker = startWorkerProcess(env);

      const paused = await waitRollout(id, (r) => r.status !== 'RUNNING', 300_000, 'rollout paused');
      assert.equal(paused.status, 'PAUSED', JSON.stringify(paused));
      assert.ok(paused.currentWave >= waveAtKill, 'the restarted worker did not go back');
      assert.match(paused.pausedReason, /Failure budget exhausted: 2 failed \(budget 1\)/);
      const failed = paused.targets.filter((t: Target) => t.status === 'FAILED');
      assert.deepEqual(
        failed.map((t: Target) => t.clusterName).sort(),
        [...broken].sort(),
        JSON.stringify(failed),
      );
      for (const t of failed) {
        assert.equal(t.wave, 2);
        assert.match(t.reason!, /upgrade FAILED: .*post-check.*data plane proxies are ready/s);
      }
      assert.equal(paused.currentWave, 2);
      assert.ok(
        paused.targets.filter((t: Target) => t.wave === 3).every((t: Target) => t.status === 'WAITING'),
        'no wave starts while the budget is exhausted',
      );

      for (const name of broken) sim.cluster(name).faults.clear();
      await eventually(
        fleet,
        (cs) => cs.filter((c) => broken.includes(c.name)).every((c) => c.health.status !== 'UNHEALTHY'),
        30_000,
        'broken clusters healthy again',
      );
      const resumed = (await q(`mutation($id: ID!) { resumeRollout(id: $id) { status } }`, { id }))
        .resumeRollout;
      assert.equal(resumed.status, 'RUNNING');
      const done = await waitRollout(id, (r) => r.status !== 'RUNNING', 300_000, 'rollout finished');
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      assert.ok(
        done.targets.every((t: Target) => t.status === 'DONE'),
        JSON.stringify(done.targets),
      );

      // Every cluster runs 2.20, as its own agent reports it, and is not unhealthy.
      const final = (
        await eventually(
          fleet,
          (cs) => cs.filter((c) => c.name.startsWith('fleet-')).every((c) => c.linkerd?.version === TO),
          30_000,
          'every agent reporting 2.20',
        )
      ).filter((c) => c.name.startsWith('fleet-'));
      for (const c of final) assert.notEqual(c.health.status, 'UNHEALTHY', `${c.name} ${c.health.status}`);

      const t = (s: string | null) => Date.parse(s!);
      // At most one successful upgrade per cluster despite the worker kill: never double-booked.
      // The broken ones are retried on resume; so may be a cluster whose first upgrade failed on
      // its own (e.g. a timeout on a loaded machine) — but only after that attempt ended
      // unsuccessfully, with its error recorded. Every cluster runs 2.20 (checked above).
      const ops = new Map<string, Op[]>();
      for (const cid of waveOf.keys()) ops.set(cid, await upgrades(cid));
      const brokenIds = broken.map((n) => ids.get(n)!);
      for (const [cid, list] of ops) {
        const detail = `cluster ${cid}: ${JSON.stringify(list)}`;
        // A retried cluster whose control plane already ran 2.20 is gated, not upgraded again.
        assert.ok(list.filter((o) => o.status === 'SUCCEEDED').length <= 1, detail);
        if (!brokenIds.includes(cid)) assert.ok(list.length >= 1, detail);
        assert.ok(list.length <= 2, detail);
        const earlier = [...list].sort((a, b) => t(a.createdAt) - t(b.createdAt)).slice(0, -1);
        for (const o of earlier) assert.ok(o.status !== 'SUCCEEDED' && o.error, detail);
        if (!brokenIds.includes(cid) && list.length > 1)
          console.error(`note: ${detail} (a failed first attempt, retried on resume)`);
      }

      // Order: the canary finished before wave 1 began, and every wave began only after the
      // previous wave's successful upgrades had been healthy for the whole gate. Judged on each
      // cluster's first attempt: retries on resume come after the pause, by design.
      const wave = (k: number) =>
        [...ops]
          .filter(([cid]) => waveOf.get(cid) === k)
          .map(([, l]) => [...l].sort((a, b) => t(a.createdAt) - t(b.createdAt))[0]!);
      for (let k = 1; k < plan.waves.length; k++) {
        const firstStart = Math.min(...wave(k).map((o) => t(o.createdAt)));
        const prev = wave(k - 1).filter((o) => o.status === 'SUCCEEDED');
        const lastFinish = Math.max(...prev.map((o) => t(o.finishedAt)));
        assert.ok(
          firstStart > lastFinish,
          `wave ${k} started ${lastFinish - firstStart} ms before wave ${k - 1} finished`,
        );
        assert.ok(
          firstStart >= lastFinish + GATE_SECONDS * 1000 - 50,
          `wave ${k} started ${firstStart - lastFinish} ms after wave ${k - 1}, inside its ${GATE_SECONDS} s gate`,
        );
      }
    },
  );

  /** Plans a rollout of the named rb clusters to RB_TO and returns its waves' cluster names. */
  const planRb = async (input: Record<string, unknown>): Promise<string[][]> => {
    const plan = (
      await q(
        `query($i: RolloutInput!) { planRollout(input: $i) { waves { clusters { name } } excluded { clusterName } } }`,
        { i: input },
      )
    ).planRollout;
    assert.deepEqual(plan.excluded, []);
    return plan.waves.map((w: any) => w.clusters.map((c: any) => c.name));
  };
  /** Waits until each named cluster's own agent reports the version given for it. */
  const agentsReport = async (expected: Record<string, string>, what: string) => {
    const names = Object.keys(expected);
    const seen = await eventually(
      async () =>
        Object.fromEntries(
          (await fleet()).filter((c) => names.includes(c.name)).map((c) => [c.name, c.linkerd?.version]),
        ),
      (v) => names.every((n) => v[n] === expected[n]),
      60_000,
      what,
    );
    assert.deepEqual(seen, expected);
  };
  /** A rollout of the named rb clusters to RB_TO. */
  const rbInput = (names: string[], strategy: Record<string, unknown>) => ({
    targetVersion: RB_TO,
    selector: { clusterIds: names.map((n) => ids.get(n)) },
    strategy,
  });
  const targetOf = (r: any, name: string): Target => r.targets.find((t: Target) => t.clusterName === name);

  it(
    'rolls a failed wave back to the version it had, the canary keeping the new one',
    { timeout: 400_000 },
    async () => {
      const names = ['rb-1', 'rb-2', 'rb-3', 'rb-4'];
      const input = rbInput(names, {
        canaryCount: 1,
        waveSizes: [3],
        maxUnavailable: 3,
        maxFailures: 0,
        healthGateSeconds: 2,
        autoRollback: true,
      });
      const [canary, wave1] = (await planRb(input)) as [string[], string[]];
      const broken = wave1[0]!;
      const fault = sim.cluster(broken).faults;
      fault.crashPods('shop');
      const id = (await q(`mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`, { i: input }))
        .startRollout.id;
      await waitRollout(id, (r) => r.status !== 'RUNNING', 240_000, 'rollback to start');
      // The broken data plane is fixed once the rollback has begun (its rollback may fail or not).
      fault.clear();
      const done = await waitRollout(id, (r) => r.status !== 'ROLLING_BACK', 240_000, 'rollback to finish');
      assert.equal(done.status, 'ROLLED_BACK', JSON.stringify(done));
      assert.match(done.pausedReason, /Failure budget exhausted: 1 failed \(budget 0\)/);
      assert.equal(targetOf(done, canary[0]!).status, 'DONE', 'the canary is left alone');
      const healthy = wave1.filter((n) => n !== broken);
      const attempts = async (n: string) => JSON.stringify(await upgrades(ids.get(n)!));
      for (const n of healthy)
        assert.equal(targetOf(done, n).status, 'ROLLED_BACK', `${n}: ${await attempts(n)}`);
      const b = targetOf(done, broken);
      assert.ok(
        b.status === 'ROLLED_BACK' || (b.status === 'FAILED' && /^rollback/.test(b.reason ?? '')),
        JSON.stringify(b),
      );
      // What the agents themselves report.
      const expected = Object.fromEntries([
        [canary[0]!, RB_TO],
        ...healthy.map((n) => [n, RB_FROM]),
        ...(b.status === 'ROLLED_BACK' ? [[broken, RB_FROM]] : []),
      ]);
      await agentsReport(expected, 'agents reporting the rolled-back versions');
    },
  );

  it(
    'aborts with an upgrade in flight: it finishes and is recorded, nothing else starts',
    { timeout: 400_000 },
    async () => {
      const names = ['rb-5', 'rb-6', 'rb-7', 'rb-8'];
      const input = rbInput(names, {
        canaryCount: 1,
        waveSizes: [3],
        maxUnavailable: 1,
        healthGateSeconds: 1,
      });
      const [canary, wave1] = (await planRb(input)) as [string[], string[]];
      // Wave 1's control planes never turn ready until released: its first upgrade stays in flight.
      const holds = wave1.map(
        (n) => [n, sim.cluster(n).faults.deploymentNeverReady('linkerd', 'linkerd-destination')] as const,
      );
      const id = (await q(`mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`, { i: input }))
        .startRollout.id;
      const inFlight = await waitRollout(
        id,
        (r) => r.targets.some((t: Target) => t.wave === 1 && t.status === 'UPGRADING' && t.operationId),
        240_000,
        'a wave-1 upgrade in flight',
      );
      const busy = inFlight.targets.find((t: Target) => t.wave === 1 && t.status === 'UPGRADING')!;
      const aborted = (await q(`mutation($id: ID!) { abortRollout(id: $id) { status } }`, { id }))
        .abortRollout;
      assert.equal(aborted.status, 'ABORTED');
      for (const [n, rule] of holds) sim.cluster(n).faults.removeRule(rule);

      const settled = await waitRollout(
        id,
        (r) => r.targets.every((t: Target) => ['DONE', 'FAILED', 'SKIPPED'].includes(t.status)),
        240_000,
        'the aborted rollout to settle',
      );
      assert.equal(settled.status, 'ABORTED');
      assert.equal(targetOf(settled, canary[0]!).status, 'DONE');
      const b = targetOf(settled, busy.clusterName);
      assert.equal(b.status, 'DONE', JSON.stringify(b));
      assert.match(b.reason ?? '', /finished after the abort/);
      const others = wave1.filter((n) => n !== busy.clusterName);
      for (const n of others) {
        const t = targetOf(settled, n);
        assert.deepEqual([t.status, t.reason, t.operationId], ['SKIPPED', 'rollout aborted', null]);
        assert.deepEqual(await upgrades(ids.get(n)!), [], `no upgrade was ever created for ${n}`);
      }
      const expected = Object.fromEntries([
        [canary[0]!, RB_TO],
        [busy.clusterName, RB_TO],
        ...others.map((n) => [n, RB_FROM]),
      ]);
      await agentsReport(expected, 'agents reporting their versions after the abort');
    },
  );
});
