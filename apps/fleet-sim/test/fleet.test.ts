// fleet-sim against the real API process (apps/api/dist/src/main.js on Postgres and Redis):
// register mode registers the scenario's clusters through GraphQL, the in-process agents enroll
// and report, and a restart reuses the saved credentials. Run through `node scripts/test.mjs`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioInput } from '@meshfleet/kube-sim';
import { createLogger } from '@meshfleet/linkerd-agent';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  type ApiProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { FleetError, startFleet, type RunningFleet } from '../src';

const quietLog = createLogger(process.env.LOG_LEVEL ?? 'silent');

const SCENARIO: ScenarioInput = {
  defaults: { podReadyDelayMs: 20 },
  clusters: [
    {
      name: 'aks-test-westeurope',
      provider: 'aks',
      region: 'westeurope',
      kubernetesVersion: '1.31.3',
      nodes: 2,
      labels: { env: 'prod' },
      linkerd: { version: 'enterprise-2.20.0', ha: false },
      namespaces: [
        { name: 'apps', inject: 'enabled', workloads: [{ name: 'web', replicas: 2, port: 8080 }] },
      ],
    },
    {
      name: 'onprem-test-dc1',
      provider: 'onprem',
      region: 'dc1',
      nodes: 1,
      labels: { env: 'dev' },
      namespaces: [{ name: 'apps', workloads: [{ name: 'api', replicas: 1, port: 8080 }] }],
    },
  ],
};

const CLUSTERS = `{ clusters { edges { node {
  id name provider region labels status
  agent { connected }
  health { status receivedAt }
  mtls { podCoverage totalPods }
  linkerd { installed version }
} } } }`;

async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 800)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('fleet-sim in register mode against the real API', () => {
  let db: TestDatabase;
  let api: ApiProcess | undefined;
  let apiUrl: string;
  let adminKey: string;
  let stateDir: string;
  let fleet: RunningFleet | undefined;
  const start = () =>
    startFleet({
      scenario: SCENARIO,
      apiUrl,
      mode: 'register',
      adminKey,
      stateDir,
      logger: quietLog,
      readyTimeoutMs: 15_000,
      reportDebounceMs: 100,
      reportMinSpacingMs: 300,
    });
  const clusters = async () => {
    const r = await gql<{ clusters: { edges: { node: Record<string, any> }[] } }>(
      apiUrl,
      CLUSTERS,
      {},
      adminKey,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.clusters.edges.map((e) => e.node);
  };

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'mf-fleet-sim-'));
    db = await createTestDatabase();
    const settings = processEnv({ db, extra: { MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5' } });
    adminKey = settings.adminKey;
    api = await startApiProcess(settings.env);
    apiUrl = api.url;
  });

  after(async () => {
    await fleet?.stop();
    await api?.stop();
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('registers both clusters through GraphQL; their agents enroll and report, and they show CONNECTED', async () => {
    fleet = await start();
    assert.deepEqual(
      fleet.clusters.map((c) => [c.name, c.provider, c.enrollment]),
      [
        ['aks-test-westeurope', 'AKS', 'registered'],
        ['onprem-test-dc1', 'ONPREM', 'registered'],
      ],
    );
    const line = JSON.parse(fleet.readyLine());
    assert.equal(line.ready, true);
    assert.deepEqual(
      line.clusters.map((c: { name: string; clusterId: string }) => [c.name, c.clusterId]),
      fleet.clusters.map((c) => [c.name, c.clusterId]),
    );
    const list = await eventually(
      clusters,
      (l) =>
        l.length === 2 &&
        l.every((c) => c.status === 'CONNECTED' && c.linkerd !== null && c.mtls?.totalPods > 0),
      20_000,
      'both clusters connected with a report',
    );
    const aks = list[0]!;
    const onprem = list[1]!;
    assert.equal(aks.id, fleet.clusters[0]!.clusterId);
    assert.equal(aks.region, 'westeurope');
    assert.deepEqual(aks.labels, { env: 'prod', 'meshfleet.io/simulated': 'true' });
    assert.equal(aks.agent.connected, true);
    assert.ok(aks.health.receivedAt, 'a health report was received');
    assert.equal(aks.linkerd.installed, true);
    assert.equal(aks.linkerd.version, 'enterprise-2.20.0');
    assert.equal(aks.mtls.podCoverage, 1);
    assert.equal(onprem.provider, 'ONPREM');
    assert.equal(onprem.linkerd.installed, false);
    assert.ok(onprem.health.receivedAt);
  });

  it('a restart reuses the saved credentials; without state it gets a rotated token for the known name', async () => {
    const ids = fleet!.clusters.map((c) => c.clusterId);
    await fleet!.stop();
    fleet = await start();
    assert.deepEqual(
      fleet.clusters.map((c) => [c.clusterId, c.enrollment]),
      ids.map((id) => [id, 'saved-credential']),
    );
    await fleet.stop();
    await rm(join(stateDir, 'onprem-test-dc1.json'));
    fleet = await start();
    assert.deepEqual(
      fleet.clusters.map((c) => [c.clusterId, c.enrollment]),
      [
        [ids[0], 'saved-credential'],
        [ids[1], 'rotated-token'],
      ],
    );
    const list = await clusters();
    assert.equal(list.length, 2, 'no duplicate registrations');
  });

  it('fails clearly without an admin key or with a wrong one', async () => {
    await assert.rejects(
      startFleet({ scenario: SCENARIO, apiUrl, mode: 'register', stateDir, logger: quietLog }),
      (e: unknown) => e instanceof FleetError && /MESHFLEET_ADMIN_KEY/.test(e.message),
    );
    await assert.rejects(
      startFleet({
        scenario: SCENARIO,
        apiUrl,
        mode: 'register',
        adminKey: 'mfk_wrong_000000000000000000000000',
        stateDir: join(stateDir, 'other'),
        logger: quietLog,
      }),
      (e: unknown) => e instanceof FleetError && /UNAUTHENTICATED/.test(e.message),
    );
  });
});
