// End to end: a real agent (in-process) against the simulator and the real API process
// (apps/api/dist/src/main.js on Postgres and Redis). Run through `node scripts/test.mjs`, which
// prepares the template database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleEnrollRequest, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@meshfleet/agent-protocol';
import type { Simulator } from '@meshfleet/kube-sim';
import { isMeshed, isRunning } from '@meshfleet/linkerd';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  type ApiProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type AgentConfig, type RunningAgent } from '../src';
import { eventually, quietLog, startSim } from './sim-fixture';

const REGISTER = `mutation($name: String!) { registerCluster(input: { name: $name, provider: EKS }) {
  cluster { id } bootstrapToken { token } } }`;
const ROTATE = `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { bootstrapToken { token } } }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status kubernetesVersion nodeCount
  agent { connected version }
  health { status }
  mtls { meshedPods totalPods podCoverage trafficCoverage }
  linkerd { installed version }
} }`;
const COLLECT = `mutation($id: ID!, $ns: String!, $pod: String!) {
  collectProxyMetrics(clusterId: $id, namespace: $ns, pod: $pod) { id status } }`;
const TASK = `query($id: ID!) { agentTask(id: $id) { status output error events { step status } } }`;

describe('agent against the real API', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let apiUrl: string;
  const adminKey = `mfadmin_${randomBytes(16).toString('hex')}`;
  const agents: RunningAgent[] = [];
  let clusterId: string;
  let bootstrapToken: string;
  let stateDir: string;
  let bareClusterId: string;

  const q = async (query: string, variables: Record<string, unknown>) => {
    const r = await gql<Record<string, any>>(apiUrl, query, variables, adminKey);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  const agentConfig = (overrides: Partial<AgentConfig>): AgentConfig => ({
    ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
    apiUrl,
    kubeconfigYaml: sim.kubeconfigFor('meshed'),
    reportDebounceMs: 200,
    ...overrides,
  });
  const start = async (overrides: Partial<AgentConfig>) => {
    const agent = await startAgent(agentConfig(overrides), { logger: quietLog, reportMinSpacingMs: 500 });
    agents.push(agent);
    await Promise.race([
      agent.ready(),
      new Promise((_, rej) => setTimeout(() => rej(new Error('agent not ready in 20 s')), 20_000).unref()),
    ]);
    return agent;
  };

  before(async () => {
    sim = await startSim();
    stateDir = await mkdtemp(join(tmpdir(), 'mf-agent-e2e-'));
    db = await createTestDatabase();
    const p = processEnv({ db, adminKey, extra: { MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5' } });
    api = await startApiProcess(p.env);
    apiUrl = api.url;
    const reg = await q(REGISTER, { name: 'meshed' });
    clusterId = reg.registerCluster.cluster.id;
    bootstrapToken = reg.registerCluster.bootstrapToken.token;
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('enrolls with the bootstrap token and the API shows the cluster connected with its Linkerd report', async () => {
    const agent = await start({ bootstrapToken, stateFile: join(stateDir, 'state.json') });
    assert.equal(agent.state.clusterId, clusterId);
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200);
    await eventually(
      () => kubePodsReady(sim),
      (ok) => ok,
      10_000,
      'simulated workloads ready',
    );
    const cluster = await eventually(
      async () => (await q(CLUSTER, { id: clusterId })).cluster,
      (c) => c.status === 'CONNECTED' && c.linkerd?.installed === true && c.mtls?.meshedPods === 4,
      20_000,
      'connected cluster with a report',
    );
    assert.equal(cluster.linkerd.version, 'enterprise-2.19.4');
    assert.equal(cluster.mtls.totalPods, 6);
    assert.equal(cluster.agent.connected, true);
    assert.notEqual(cluster.health.status, 'UNKNOWN');
    assert.ok(agent.state.heartbeatsSent > 0);
    // The API stores the report before the agent reads the 202, so wait for the agent's side too.
    await eventually(
      () => agent.state.lastReport?.accepted,
      (a) => a === true,
      5_000,
      'agent saw its report accepted',
    );
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    assert.match(metrics, /meshfleet_agent_reports_sent_total [1-9]/);
  });

  it('runs COLLECT_PROXY_METRICS dispatched through GraphQL and returns the metrics', async () => {
    const pod = sim
      .cluster('meshed')
      .model.store.list('/pods')
      .find((p) => p.metadata.namespace === 'emojivoto')!;
    const created = await q(COLLECT, { id: clusterId, ns: 'emojivoto', pod: pod.metadata.name });
    const task = await eventually(
      async () => (await q(TASK, { id: created.collectProxyMetrics.id })).agentTask,
      (t) => t.status === 'SUCCEEDED' || t.status === 'FAILED',
      20_000,
      'task finished',
    );
    assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task.error));
    assert.match(task.output.metrics, /tcp_open_total/);
    assert.deepEqual(
      task.events.map((e: { step: string; status: string }) => `${e.step}:${e.status}`),
      ['fetch-metrics:started', 'fetch-metrics:succeeded'],
    );
  });

  it('restarts with the saved credential and no bootstrap token', async () => {
    await agents.pop()!.stop();
    const agent = await start({ bootstrapToken: null, stateFile: join(stateDir, 'state.json') });
    assert.equal(agent.state.clusterId, clusterId);
    await eventually(
      () => agent.state.heartbeatsSent,
      (n) => n > 0,
      10_000,
      'heartbeat with saved credential',
    );
  });

  it('a redeployed agent with a fresh bootstrap token and no saved state enrolls into the same cluster', async () => {
    await agents.pop()!.stop();
    const rotated = await q(ROTATE, { id: clusterId });
    const agent = await start({
      bootstrapToken: rotated.rotateBootstrapToken.bootstrapToken.token,
      stateFile: join(stateDir, 'redeploy.json'),
    });
    assert.equal(agent.state.clusterId, clusterId);
    await eventually(
      () => agent.state.reportsSent,
      (n) => n > 0,
      10_000,
      'report after redeploy',
    );
  });

  it('in-cluster style: reads API URL and token from the agent Secret and saves the credential back to it', async () => {
    const reg = await q(REGISTER, { name: 'bare' });
    const handle = sim.cluster('bare');
    const model = handle.model;
    model.objects.create(model.type('', 'namespaces'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'meshfleet-system' },
    } as never);
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    model.objects.create(model.type('', 'secrets'), 'meshfleet-system', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'meshfleet-agent', namespace: 'meshfleet-system' },
      type: 'Opaque',
      data: {
        apiUrl: b64(apiUrl),
        clusterId: b64(reg.registerCluster.cluster.id),
        bootstrapToken: b64(reg.registerCluster.bootstrapToken.token),
      },
    } as never);
    const agent = await start({
      apiUrl: null,
      bootstrapToken: null,
      kubeconfigYaml: sim.kubeconfigFor('bare'),
    });
    assert.equal(agent.state.clusterId, reg.registerCluster.cluster.id);
    const secret = model.objects.get(
      model.type('', 'secrets'),
      'meshfleet-system',
      'meshfleet-agent',
    ) as unknown as {
      data: Record<string, string>;
    };
    assert.ok(secret.data['credential'], 'credential written to the Secret');
    assert.equal(Buffer.from(secret.data['apiUrl']!, 'base64').toString(), apiUrl, 'other keys kept');
    await agent.stop();

    // A restart finds the credential in the Secret: the (single-use) token is not needed again.
    const again = await start({
      apiUrl: null,
      bootstrapToken: null,
      kubeconfigYaml: sim.kubeconfigFor('bare'),
    });
    await eventually(
      () => again.state.heartbeatsSent,
      (n) => n > 0,
      10_000,
      'heartbeat after restart',
    );
    const report = await eventually(
      async () => (await q(CLUSTER, { id: reg.registerCluster.cluster.id })).cluster,
      (c) => c.linkerd !== null && c.linkerd.installed === false,
      20_000,
      'report of a cluster without Linkerd',
    );
    assert.equal(report.status, 'CONNECTED');
    bareClusterId = reg.registerCluster.cluster.id;
  });

  it('re-enrolls with the fresh token from its Secret when the API revokes its credential', async () => {
    const agent = agents.at(-1)!;
    const model = sim.cluster('bare').model;
    const secrets = model.type('', 'secrets');
    const read = () =>
      (
        model.objects.get(secrets, 'meshfleet-system', 'meshfleet-agent') as unknown as {
          data: Record<string, string>;
        }
      ).data;
    const before = read()['credential'];
    // Someone enrolls the cluster elsewhere, which revokes the running agent's credential ...
    const other = (await q(ROTATE, { id: bareClusterId })).rotateBootstrapToken.bootstrapToken.token;
    const res = await fetch(`${apiUrl}/agent/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION) },
      body: JSON.stringify({ ...exampleEnrollRequest(), bootstrapToken: other }),
    });
    assert.equal(res.status, 200);
    const othersCredential = Buffer.from(((await res.json()) as { credential: string }).credential).toString(
      'base64',
    );
    // ... and a redeploy writes a fresh token into the agent's Secret: it must recover by itself.
    const fresh = (await q(ROTATE, { id: bareClusterId })).rotateBootstrapToken.bootstrapToken.token;
    model.objects.patch(secrets, 'meshfleet-system', 'meshfleet-agent', 'merge', {
      data: { bootstrapToken: Buffer.from(fresh).toString('base64') },
    });

    await eventually(
      () => read()['credential'],
      (c) => c !== before && c !== othersCredential,
      20_000,
      "the agent's new credential in the Secret",
    );
    const sent = agent.state.heartbeatsSent;
    await eventually(
      () => agent.state.heartbeatsSent,
      (n) => n > sent,
      10_000,
      'heartbeats with the new credential',
    );
    assert.equal(agent.state.clusterId, bareClusterId);
  });
});

function kubePodsReady(sim: Simulator): boolean {
  const pods = sim
    .cluster('meshed')
    .model.store.list('/pods')
    .filter((p) => ['emojivoto', 'legacy'].includes(p.metadata.namespace ?? '')) as never[];
  return pods.length === 6 && pods.every((p) => isRunning(p)) && pods.filter((p) => isMeshed(p)).length === 4;
}
