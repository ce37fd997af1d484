// Lifecycle operations end to end: GraphQL mutation → API → BullMQ worker → agent long-poll →
// server-side apply on the simulator → steps and outcome back in GraphQL. Real processes for the
// API and the worker; the worker starts only after Redis lost the job, so the reconciler must
// re-dispatch from Postgres.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  startWorkerProcess,
  testRedisUrl,
  type ApiProcess,
  type ChildHandle,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '../src';
import { gatewayApiCrds, PLAIN_CLUSTER } from './lifecycle-fixture';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { eventually, quietLog } from './sim-fixture';

const OP = `id kind status error steps { step status }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status health { status categories { name checks { description result } } }
  linkerd { installed version proxyVersions { version count } }
} }`;

describe('lifecycle operations end to end', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle | undefined;
  let agent: RunningAgent | undefined;
  let apiUrl: string;
  let clusterId: string;
  let domainId: string;
  let env: Record<string, string>;
  let adminKey: string;

  const q = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<Record<string, any>>(apiUrl, query, variables, adminKey);
    return r;
  };
  const op = async (id: string) =>
    (await q(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id })).data!.operation;
  const cluster = async () => (await q(CLUSTER, { id: clusterId })).data!.cluster;

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [PLAIN_CLUSTER] }, podReadyDelayMs: 20 });
    // The platform team brings the Gateway API CRDs that Linkerd 2.19+ needs.
    const ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('plain') }).kc,
    );
    for (const crd of gatewayApiCrds()) await ops.apply(crd);
    db = await createTestDatabase();
    const p = processEnv({ db, extra: { MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5' } });
    env = p.env;
    adminKey = p.adminKey;
    api = await startApiProcess(env);
    apiUrl = api.url;
    domainId = (await q(`mutation { createIdentityDomain(input: { name: "fleet" }) { id } }`)).data!
      .createIdentityDomain.id;
    const reg = await q(
      `mutation { registerCluster(input: { name: "plain", provider: AKS }) { cluster { id } bootstrapToken { token } } }`,
    );
    clusterId = reg.data!.registerCluster.cluster.id;
    agent = await startAgent(
      {
        ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
        apiUrl,
        kubeconfigYaml: sim.kubeconfigFor('plain'),
        bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
        stateFile: join(await mkdtemp(join(tmpdir(), 'mf-ops-e2e-')), 'state.json'),
        reportDebounceMs: 200,
      },
      { logger: quietLog, reportMinSpacingMs: 300 },
    );
    await agent.ready();
    await eventually(
      cluster,
      (c) => c.status === 'CONNECTED' && c.linkerd?.installed === false,
      20_000,
      'first report',
    );
  });

  after(async () => {
    await agent?.stop();
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('installs Linkerd 2.19 even though Redis lost the dispatch job, and refuses a second operation meanwhile', async () => {
    const r = await q(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { ${OP} } }`,
      { c: clusterId, d: domainId },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const opId = r.data!.installLinkerd.id;
    const conflict = await q(`mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`, {
      c: clusterId,
    });
    assert.equal(conflict.errors?.[0]?.extensions?.['code'], 'CONFLICT');
    // Redis loses everything of ours before any worker ran: only Postgres knows the operation.
    const redis = new Redis(testRedisUrl());
    const keys = await redis.keys(`${env.MESHFLEET_REDIS_PREFIX}:bull*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    assert.equal((await op(opId)).status, 'QUEUED');
    worker = startWorkerProcess(env);
    const done = await eventually(
      () => op(opId),
      (o) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(o.status),
      90_000,
      'install finished',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    const steps = done.steps.filter((s: any) => s.status === 'succeeded').map((s: any) => s.step);
    for (const s of [
      'precheck',
      'crds',
      'crds-established',
      'issuer',
      'control-plane',
      'rollout',
      'postcheck',
    ])
      assert.ok(steps.includes(s), `${s} in ${steps}`);
    const c = await eventually(
      cluster,
      // A report taken while the rollout was still settling may show 2.19 with pods not ready yet;
      // the report made when they turn ready follows it.
      (c) =>
        c.linkerd?.installed === true &&
        c.linkerd.version === 'enterprise-2.19.1' &&
        c.health.status !== 'UNHEALTHY',
      30_000,
      'report after the install shows 2.19',
    );
    assert.notEqual(c.health.status, 'UNHEALTHY', JSON.stringify(c.health.categories));
    const issuers = (
      await q(`query($d: ID!) { identityDomain(id: $d) { issuers { clusterId } } }`, { d: domainId })
    ).data!.identityDomain.issuers;
    assert.deepEqual(
      issuers.map((i: any) => i.clusterId),
      [clusterId],
      'the issuer was signed from the in-cluster CSR',
    );
  });

  it('refuses to skip a major, then upgrades to 2.20 with a data-plane restart', async () => {
    const skip = await q(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.18.0" }) { id } }`,
      { c: clusterId },
    );
    assert.equal(skip.errors?.[0]?.extensions?.['code'], 'FAILED_PRECONDITION');
    assert.equal(skip.errors?.[0]?.extensions?.['reason'], 'DOWNGRADE');
    const r = await q(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.20.0", restartDataPlane: true }) { ${OP} } }`,
      { c: clusterId },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const done = await eventually(
      () => op(r.data!.upgradeLinkerd.id),
      (o) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT'].includes(o.status),
      90_000,
      'upgrade finished',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    assert.ok(done.steps.some((s: any) => s.step === 'data-plane-restart' && s.status === 'succeeded'));
    const c = await eventually(
      cluster,
      // A report made while restarted pods were still starting can arrive after the operation
      // ended; the agent's next report shows them ready.
      (c) =>
        c.linkerd?.version === 'enterprise-2.20.0' &&
        c.linkerd.proxyVersions.every((p: any) => p.version === 'enterprise-2.20.0') &&
        c.linkerd.proxyVersions.length > 0 &&
        c.health.status !== 'UNHEALTHY',
      30_000,
      'report shows 2.20 everywhere, healthy',
    );
    assert.notEqual(c.health.status, 'UNHEALTHY', JSON.stringify(c.health.categories));
  });
});
