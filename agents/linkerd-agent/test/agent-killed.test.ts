// An agent killed in the middle of an upgrade (issue #5): the operation must either resume once the
// agent is back (a new attempt after the task lease runs out) or end TIMED_OUT at its deadline,
// never stay RUNNING. The agents run as the real binary so SIGKILL stops them mid-step, with no
// chance to report anything; the API and the worker are real processes too. Linkerd 2.19 comes
// with the simulated clusters (installing it through an operation is operations-e2e's business).
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
  startAgentProcess,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type ChildHandle,
  type TestDatabase,
} from '@meshfleet/testing';
import { gatewayApiCrds } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const FROM = 'enterprise-2.19.1';
const TO = 'enterprise-2.20.0';
const LEASE_SECONDS = 8;
const TIMEOUT_SECONDS = 75;
const OP = `id status attempt error deadlineAt finishedAt steps { step status }`;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

const cluster = (name: string) => ({
  name,
  provider: 'aks' as const,
  kubernetesVersion: '1.33.2',
  nodes: 1,
  linkerd: { version: FROM },
  namespaces: [
    {
      name: 'shop',
      inject: 'enabled' as const,
      workloads: [{ name: 'web', replicas: 1, port: 8080 }],
    },
  ],
});

describe('an agent killed mid-upgrade', { concurrency: true, timeout: 600_000 }, () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle;
  let adminKey: string;
  let dir: string;
  const agents: ChildHandle[] = [];
  const agentOf = new Map<string, ChildHandle>();
  const ids = new Map<string, string>();

  const q = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<Record<string, any>>(api.url, query, variables, adminKey);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  const op = async (id: string) => {
    await new Promise((r) => setTimeout(r, 200)); // a few polls a second are plenty
    return (await q(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id })).operation;
  };
  const clusterOf = async (name: string) =>
    (
      await q(`query($id: ID!) { cluster(id: $id) { status linkerd { version } } }`, {
        id: ids.get(name),
      })
    ).cluster;

  /** The agent binary for a cluster; without a token it must get by on its saved credential. */
  const startAgent = (name: string, bootstrapToken = ''): ChildHandle => {
    const agent = startAgentProcess({
      MESHFLEET_API_URL: api.url,
      MESHFLEET_BOOTSTRAP_TOKEN: bootstrapToken,
      KUBECONFIG: join(dir, `${name}.kubeconfig`),
      MESHFLEET_AGENT_STATE_FILE: join(dir, `${name}.json`),
      MESHFLEET_REPORT_DEBOUNCE_MS: '200',
    });
    agents.push(agent);
    agentOf.set(name, agent);
    return agent;
  };

  /** Starts an upgrade whose control plane never turns ready, and kills the agent inside it. */
  const killMidUpgrade = async (name: string): Promise<string> => {
    const faults = sim.cluster(name).faults;
    const stuck = faults.deploymentNeverReady('linkerd', 'linkerd-destination');
    const r = await q(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "${TO}" }) { id } }`,
      {
        c: ids.get(name),
      },
    );
    const id = r.upgradeLinkerd.id;
    const running = await eventually(
      () => op(id),
      (o) => o.steps.some((s: { step: string }) => s.step === 'rollout') || TERMINAL.includes(o.status),
      90_000,
      `${name}: upgrade waiting in the rollout step`,
    );
    assert.equal(running.status, 'RUNNING');
    assert.ok(
      running.steps.some((s: any) => s.step === 'control-plane' && s.status === 'succeeded'),
      'the new control plane was applied before the kill',
    );
    await agentOf.get(name)!.kill();
    faults.removeRule(stuck);
    return id;
  };

  before(
    async () => {
      sim = await startSimulator({
        scenario: { clusters: [cluster('comes-back'), cluster('gone-for-good')] },
        podReadyDelayMs: 20,
      });
      for (const name of sim.clusters)
        for (const crd of gatewayApiCrds()) sim.cluster(name).model.ensure(crd as unknown as KubeObject);
      dir = await mkdtemp(join(tmpdir(), 'mf-agent-killed-'));
      await sim.writeKubeconfigs(dir);
      db = await createTestDatabase();
      const p = processEnv({
        db,
        heartbeatSeconds: 1,
        reportSeconds: 2,
        extra: {
          MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
          MESHFLEET_OPERATION_LEASE_SECONDS: String(LEASE_SECONDS),
          MESHFLEET_OPERATION_MAX_ATTEMPTS: '3',
          MESHFLEET_OPERATION_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
        },
      });
      adminKey = p.adminKey;
      api = await startApiProcess(p.env);
      worker = startWorkerProcess(p.env);
      for (const name of sim.clusters) {
        const reg = (
          await q(
            `mutation($n: String!) { registerCluster(input: { name: $n, provider: AKS }) {
              cluster { id } bootstrapToken { token } } }`,
            { n: name },
          )
        ).registerCluster;
        ids.set(name, reg.cluster.id);
        startAgent(name, reg.bootstrapToken.token);
      }
      for (const name of sim.clusters)
        await eventually(
          () => clusterOf(name),
          (c) => c.status === 'CONNECTED' && c.linkerd?.version === FROM,
          60_000,
          `${name} reporting ${FROM}`,
        );
    },
    { timeout: 180_000 },
  );

  after(async () => {
    await Promise.allSettled(agents.map((a) => a.stop(5_000)));
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('resumes the upgrade in a new attempt when the agent comes back with its saved credential', async () => {
    const name = 'comes-back';
    const id = await killMidUpgrade(name);
    startAgent(name); // no bootstrap token: the saved credential has to do
    const done = await eventually(
      () => op(id),
      (o) => TERMINAL.includes(o.status),
      TIMEOUT_SECONDS * 1000 + 30_000,
      'upgrade finished after the restart',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    assert.ok(done.attempt >= 2, `attempt ${done.attempt}: the killed attempt was not the one that finished`);
    const steps = done.steps.filter((s: any) => s.status === 'succeeded').map((s: any) => s.step);
    for (const s of ['precheck', 'control-plane', 'rollout', 'postcheck'])
      assert.ok(steps.includes(s), `${s} in ${steps}`);
    await eventually(
      () => clusterOf(name),
      (c) => c.status === 'CONNECTED' && c.linkerd?.version === TO,
      30_000,
      `${name} reporting ${TO}`,
    );
  });

  it('ends TIMED_OUT by its deadline, never stuck RUNNING, when the agent does not come back', async () => {
    const name = 'gone-for-good';
    const id = await killMidUpgrade(name);
    // The lease runs out first: a second attempt is dispatched for whenever the agent returns.
    const retrying = await eventually(
      () => op(id),
      (o) => o.attempt >= 2 || TERMINAL.includes(o.status),
      (LEASE_SECONDS + 20) * 1000,
      'a second attempt after the lease expired',
    );
    assert.equal(retrying.status, 'DISPATCHED', JSON.stringify(retrying));
    assert.match(retrying.error.message, /Attempt 1 failed: .*(lease|stopped reporting)/i);
    const done = await eventually(
      () => op(id),
      (o) => TERMINAL.includes(o.status),
      TIMEOUT_SECONDS * 1000 + 30_000,
      'upgrade given up',
    );
    assert.equal(done.status, 'TIMED_OUT', JSON.stringify(done));
    assert.match(done.error.code, /^(DEADLINE|LEASE_EXPIRED)$/);
    const late = Date.parse(done.finishedAt) - Date.parse(done.deadlineAt);
    assert.ok(late < 15_000, `finished ${late} ms after its deadline`);
  });
});
