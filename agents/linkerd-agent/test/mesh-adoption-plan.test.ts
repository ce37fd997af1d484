// planMeshAdoption end to end on the demo fleet's EKS cluster: a real agent reports the adoption
// facts from the simulator, the API plans the legacy namespace from the stored report. The plan
// flags PostgreSQL's port and the single-replica workloads, and writes nothing to the cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { loadScenario, startSimulator, type Simulator } from '@meshfleet/kube-sim';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  type ApiProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '../src';
import { eventually, quietLog } from './sim-fixture';

const EKS = 'eks-prod-us-east-1';
const PLAN = `query($input: PlanMeshAdoptionInput!) { planMeshAdoption(input: $input) {
  clusterId clusterName generatedAt batchSize order
  blockers { code severity }
  warnings { code }
  workloads { namespace kind name verdict replicas batch
    reasons { code severity port protocol message }
    proposedAnnotations { key value } }
  batches { index workloads { namespace kind name } }
} }`;

type Gql = {
  data?: Record<string, any>;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
};

describe('planMeshAdoption on the demo fleet', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let adminKey: string;
  let agent: RunningAgent | undefined;
  let clusterId: string;
  let silentId: string;

  const plan = (input: Record<string, unknown>) =>
    gql<Record<string, any>>(api.url, PLAN, { input }, adminKey) as Promise<Gql>;
  const register = async (name: string) =>
    (
      await gql<Record<string, any>>(
        api.url,
        `mutation($n: String!) { registerCluster(input: { name: $n, provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
        { n: name },
        adminKey,
      )
    ).data!.registerCluster;

  before(async () => {
    const demo = loadScenario(join(resolve(__dirname, '../../../..'), 'libs/kube-sim/scenarios/demo.yaml'));
    sim = await startSimulator({
      scenario: { ...demo, clusters: demo.clusters.filter((c) => c.name === EKS) },
      podReadyDelayMs: 20,
    });
    db = await createTestDatabase();
    const p = processEnv({ db });
    adminKey = p.adminKey;
    api = await startApiProcess(p.env);
    const reg = await register(EKS);
    clusterId = reg.cluster.id;
    silentId = (await register('no-report-yet')).cluster.id;
    agent = await startAgent(
      {
        ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
        apiUrl: api.url,
        kubeconfigYaml: sim.kubeconfigFor(EKS),
        reportDebounceMs: 200,
        bootstrapToken: reg.bootstrapToken.token,
      },
      { logger: quietLog, reportMinSpacingMs: 300 },
    );
    await agent.ready();
    await eventually(
      () => plan({ clusterId, namespaces: ['legacy'] }),
      (r) => (r.data?.planMeshAdoption?.[0]?.workloads?.length ?? 0) === 2,
      20_000,
      'a report with the legacy workloads',
    );
  });

  after(async () => {
    await agent?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('flags the PostgreSQL port and the single-replica workloads of legacy, each restarted alone', async () => {
    const r = await plan({ clusterId, namespaces: ['legacy'] });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const [p] = r.data!.planMeshAdoption;
    assert.equal(p.clusterName, EKS);
    assert.ok(Date.now() - new Date(p.generatedAt).getTime() < 60_000, `generatedAt ${p.generatedAt}`);
    assert.deepEqual(p.blockers, []);
    // Every kind was listed (StatefulSets, Jobs, CronJobs, PDBs): no FACTS_INCOMPLETE.
    assert.deepEqual(p.warnings, []);
    const byName = new Map<string, any>(p.workloads.map((w: any) => [w.name, w]));
    const pg = byName.get('postgres');
    assert.equal(pg.verdict, 'WILL_MESH');
    assert.deepEqual(
      pg.reasons.map((x: any) => [x.code, x.severity, x.port, x.protocol]),
      [
        // 5432 is in Linkerd's default opaque ports (linkerd-config): flagged, nothing to add.
        ['SERVER_SPEAKS_FIRST_PORT', 'INFO', 5432, 'PostgreSQL'],
        ['SINGLE_REPLICA_NO_PDB', 'WARNING', null, null],
      ],
    );
    assert.deepEqual(pg.proposedAnnotations, []);
    assert.deepEqual(
      byName.get('billing').reasons.map((x: any) => x.code),
      ['SINGLE_REPLICA_NO_PDB'],
    );
    assert.deepEqual(
      p.batches.map((b: any) => b.workloads.map((w: any) => `${w.namespace}/${w.kind}/${w.name}`)),
      [['legacy/Deployment/billing'], ['legacy/Deployment/postgres']],
    );
    assert.deepEqual([byName.get('billing').batch, pg.batch], [1, 2]);
  });

  it('says the meshed namespace is already meshed', async () => {
    const r = await plan({ clusterId, namespaces: ['emojivoto'] });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const [p] = r.data!.planMeshAdoption;
    assert.equal(p.workloads.length, 4);
    assert.ok(
      p.workloads.every((w: any) => w.verdict === 'ALREADY_MESHED'),
      JSON.stringify(p.workloads),
    );
    assert.deepEqual(p.batches, []);
  });

  it('plans a selector of clusters and single workloads', async () => {
    const r = await plan({
      selector: { search: 'eks-prod' },
      workloads: [{ namespace: 'legacy', kind: 'Deployment', name: 'postgres' }],
      batchSize: 3,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual(
      r.data!.planMeshAdoption.map((p: any) => [
        p.clusterName,
        p.batchSize,
        p.workloads.map((w: any) => w.name),
      ]),
      [[EKS, 3, ['postgres']]],
    );
  });

  it('refuses bad input with a code and a reason, and changes nothing in the cluster', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor(EKS));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const before = await core.listNamespacedPod({ namespace: 'legacy' });
    const legacyNs = await core.readNamespace({ name: 'legacy' });

    const refused = async (input: Record<string, unknown>, code: string, reason?: string) => {
      const r = await plan(input);
      assert.equal(r.data?.planMeshAdoption ?? null, null);
      assert.equal(r.errors?.[0]?.extensions?.code, code, JSON.stringify(r.errors));
      if (reason) assert.equal(r.errors![0]!.extensions!.reason, reason, JSON.stringify(r.errors));
      return r.errors![0]!.message;
    };
    assert.match(
      await refused({ clusterId, namespaces: ['nope'] }, 'BAD_USER_INPUT', 'UNKNOWN_NAMESPACE'),
      /nope/,
    );
    await refused({ clusterId, namespaces: ['kube-system'] }, 'BAD_USER_INPUT', 'SYSTEM_NAMESPACE');
    await refused({ clusterId, namespaces: ['linkerd'] }, 'BAD_USER_INPUT', 'CONTROL_PLANE_NAMESPACE');
    await refused({ clusterId, namespaces: ['linkerd-viz'] }, 'BAD_USER_INPUT', 'EXTENSION_NAMESPACE');
    await refused(
      { clusterId, workloads: [{ namespace: 'legacy', kind: 'StatefulSet', name: 'postgres' }] },
      'BAD_USER_INPUT',
      'UNKNOWN_WORKLOAD',
    );
    await refused({ clusterId, namespaces: ['legacy'], batchSize: 0 }, 'BAD_USER_INPUT');
    await refused({ clusterId }, 'BAD_USER_INPUT');
    await refused({ namespaces: ['legacy'] }, 'BAD_USER_INPUT');
    await refused({ clusterId: '00000000-0000-4000-8000-000000000000', namespaces: ['legacy'] }, 'NOT_FOUND');
    await refused({ clusterId: silentId, namespaces: ['legacy'] }, 'FAILED_PRECONDITION', 'NO_REPORT');

    const after = await core.listNamespacedPod({ namespace: 'legacy' });
    assert.deepEqual(
      after.items.map((p) => p.metadata!.uid).sort(),
      before.items.map((p) => p.metadata!.uid).sort(),
    );
    assert.deepEqual(
      (await core.readNamespace({ name: 'legacy' })).metadata!.annotations,
      legacyNs.metadata!.annotations,
    );
  });
});
