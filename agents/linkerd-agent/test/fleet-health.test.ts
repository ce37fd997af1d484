// The product's promise end to end: real API and worker processes, a real agent, the simulator.
// Simulator faults must show up as the right `linkerd check` results in GraphQL, and a silent
// agent must turn the cluster OFFLINE (health UNKNOWN) within three heartbeat intervals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Simulator } from '@meshfleet/kube-sim';
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
import { eventually, quietLog, startSim } from './sim-fixture';

const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status
  agent { connected }
  health { status unknownReason categories { name checks { description result error } } }
  mtls { podCoverage meshedPods totalPods namespaces { name injection podCoverage } }
  certificates { role chainsToAnchors notAfter }
} }`;

type Check = { description: string; result: string; error: string | null };
type Category = { name: string; checks: Check[] };

describe('fleet health end to end', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle;
  let apiUrl: string;
  let adminKey: string;
  let agent: RunningAgent | undefined;
  let clusterId: string;
  let stateFile: string;

  const cluster = async () => {
    const r = await gql<Record<string, any>>(apiUrl, CLUSTER, { id: clusterId }, adminKey);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.cluster;
  };
  const check = (categories: Category[], category: string, description: RegExp) =>
    categories.find((c) => c.name === category)?.checks.find((k) => description.test(k.description));
  const startTheAgent = async (extra: Record<string, unknown>) => {
    agent = await startAgent(
      {
        ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
        apiUrl,
        kubeconfigYaml: sim.kubeconfigFor('meshed'),
        reportDebounceMs: 200,
        stateFile,
        ...extra,
      },
      { logger: quietLog, reportMinSpacingMs: 300 },
    );
    await agent.ready();
  };

  before(async () => {
    sim = await startSim();
    db = await createTestDatabase();
    stateFile = join(await mkdtemp(join(tmpdir(), 'mf-e2e-')), 'state.json');
    const p = processEnv({ db });
    adminKey = p.adminKey;
    api = await startApiProcess(p.env);
    apiUrl = api.url;
    worker = startWorkerProcess(p.env);
    const reg = await gql<Record<string, any>>(
      apiUrl,
      `mutation { registerCluster(input: { name: "meshed", provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
      {},
      adminKey,
    );
    clusterId = reg.data!.registerCluster.cluster.id;
    await startTheAgent({ bootstrapToken: reg.data!.registerCluster.bootstrapToken.token });
  });

  after(async () => {
    await agent?.stop();
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('reports the healthy cluster with the unmeshed namespace lowering pod coverage', async () => {
    const c = await eventually(cluster, (c) => c.health.categories.length > 0, 20_000, 'first report');
    assert.equal(c.status, 'CONNECTED');
    assert.notEqual(c.health.status, 'UNHEALTHY', JSON.stringify(c.health.categories));
    const legacy = c.mtls.namespaces.find((n: any) => n.name === 'legacy');
    assert.equal(legacy.injection, 'unset');
    assert.equal(legacy.podCoverage, 0);
    assert.ok(c.mtls.podCoverage > 0 && c.mtls.podCoverage < 1, `pod coverage ${c.mtls.podCoverage}`);
    assert.equal(c.mtls.meshedPods, c.mtls.totalPods - 2, 'the two legacy pods are not meshed');
    assert.equal(c.certificates.find((x: any) => x.role === 'issuer').chainsToAnchors, true);
  });

  it('shows proxies older than the control plane as a data-plane version warning', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor('meshed'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ name: 'linkerd-config', namespace: 'linkerd' });
    const values = cm.data!['values']!;
    assert.match(values, /enterprise-2\.19\.4/);
    // The control plane moves ahead; running pods keep their old proxies until restarted.
    cm.data!['values'] = values.replaceAll('enterprise-2.19.4', 'enterprise-2.19.9');
    await core.replaceNamespacedConfigMap({ name: 'linkerd-config', namespace: 'linkerd', body: cm });
    const c = await eventually(
      cluster,
      (c) =>
        check(c.health.categories, 'linkerd-data-plane', /data plane is up-to-date/)?.result === 'WARNING',
      20_000,
      'data-plane version warning',
    );
    assert.equal(c.health.status, 'DEGRADED');
  });

  it('shows an expired issuer as a linkerd-identity error', async () => {
    await sim.cluster('meshed').faults.expireIssuer();
    const c = await eventually(
      cluster,
      (c) =>
        (c.health.categories as Category[])
          .find((x) => x.name === 'linkerd-identity')
          ?.checks.some((k) => k.result === 'ERROR') ?? false,
      20_000,
      'identity error',
    );
    assert.equal(c.health.status, 'UNHEALTHY');
    const failing = (c.health.categories as Category[])
      .find((x) => x.name === 'linkerd-identity')!
      .checks.find((k) => k.result === 'ERROR')!;
    assert.match(failing.description + ' ' + (failing.error ?? ''), /issuer|certificate/i);
  });

  it('turns OFFLINE (health UNKNOWN) within three heartbeat intervals of the agent stopping, and back when it returns', async () => {
    await agent!.stop();
    agent = undefined;
    const stoppedAt = Date.now();
    const offline = await eventually(cluster, (c) => c.status === 'OFFLINE', 15_000, 'OFFLINE');
    const took = Date.now() - stoppedAt;
    assert.ok(took <= 5_000, `OFFLINE after ${took} ms (3 × 1 s intervals plus a sweep)`);
    assert.equal(offline.health.status, 'UNKNOWN');
    assert.equal(offline.agent.connected, false);
    await startTheAgent({});
    const back = await eventually(cluster, (c) => c.status === 'CONNECTED', 15_000, 'CONNECTED again');
    assert.equal(back.agent.connected, true);
  });
});
