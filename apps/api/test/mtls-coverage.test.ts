// mTLS traffic coverage end to end: the agent reports request and connection coverage; the API
// stores both and a headline that is never better than the worse of them, and that headline is
// what the cluster, the fleet summary and the MTLS_COVERAGE_BELOW alert read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INestApplicationContext } from '@nestjs/common';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { AlertsEvaluator } from '@meshfleet/alerts';
import { PrismaService } from '@meshfleet/db';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, registerAndEnroll } from './agent-http';

let sequence = Date.now();

/** A healthy report with every pod meshed: all requests over mTLS, half the connections. */
async function postReport(api: TestApi, credential: string): Promise<void> {
  const r = exampleHealthReport() as any;
  r.sequence = ++sequence;
  r.generatedAt = new Date().toISOString();
  r.mtls.trafficCoverage = {
    requests: { tls: 400, total: 400, share: 1 },
    connections: { tls: 50, total: 100, share: 0.5 },
    podsScraped: 4,
  };
  assert.equal(r.mtls.podCoverage, 1);
  assert.equal((await agentCall(api, 'POST', '/reports', credential, r)).status, 202);
}

describe('mTLS traffic coverage', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let keyA: string;
  let keyB: string;
  let a: { id: string; credential: string };
  let b: { id: string; credential: string };

  const setThreshold = async (key: string, threshold: number, forSeconds: number) => {
    const r = await api.gql(
      `mutation($p: JSONObject!, $f: Int!) { updateAlertRule(kind: MTLS_COVERAGE_BELOW, input: { params: $p, forSeconds: $f }) { kind } }`,
      { p: { threshold }, f: forSeconds },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  };
  const coverageAlerts = async (key: string) =>
    (
      await api.gql(
        `{ alerts(filter: { kind: MTLS_COVERAGE_BELOW }) { totalCount edges { node { status summary clusterId } } } }`,
        {},
        key,
      )
    ).data!.alerts;

  before(async () => {
    api = await startApi();
    ({ apiKey: keyA } = await api.newOrg('coverage-a'));
    ({ apiKey: keyB } = await api.newOrg('coverage-b'));
    // The worker's own periodic pass is set far off: the test runs it on its own clock.
    worker = await startWorkerFor(api, { MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '3600' });
    await setThreshold(keyA, 0.7, 0);
    await setThreshold(keyB, 0.4, 0);
    a = await registerAndEnroll(api, keyA, { name: 'half-plaintext-tcp' });
    b = await registerAndEnroll(api, keyB, { name: 'half-plaintext-tcp' });
    await postReport(api, a.credential);
    await postReport(api, b.credential);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
  });

  it('shows request and connection coverage, and the worse of them as the headline, on the cluster', async () => {
    const r = await api.gql(
      `query($id: ID!) { cluster(id: $id) { mtls { podCoverage trafficCoverage requestCoverage connectionCoverage } } }`,
      { id: a.id },
      keyA,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual(r.data!.cluster.mtls, {
      podCoverage: 1,
      trafficCoverage: 0.5,
      requestCoverage: 1,
      connectionCoverage: 0.5,
    });
    const h = await api.gql(
      `query($id: ID!) { healthHistory(clusterId: $id) { trafficCoverage requestCoverage connectionCoverage } }`,
      { id: a.id },
      keyA,
    );
    assert.deepEqual(h.data!.healthHistory, [
      { trafficCoverage: 0.5, requestCoverage: 1, connectionCoverage: 0.5 },
    ]);
  });

  it('reads the headline in the fleet summary', async () => {
    const r = await api.gql(
      `{ fleetSummary { trafficCoverage worstCoverage { clusterName trafficCoverage } } }`,
      {},
      keyA,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data!.fleetSummary.trafficCoverage, 0.5);
    assert.deepEqual(r.data!.fleetSummary.worstCoverage, [
      { clusterName: 'half-plaintext-tcp', trafficCoverage: 0.5 },
    ]);
  });

  it('fires MTLS_COVERAGE_BELOW when the threshold lies between connection and request coverage', async () => {
    await worker.get(AlertsEvaluator).evaluateAll();
    const fired = await coverageAlerts(keyA);
    assert.equal(fired.totalCount, 1);
    assert.deepEqual(fired.edges[0].node, {
      status: 'FIRING',
      clusterId: a.id,
      summary: 'mTLS traffic coverage on cluster half-plaintext-tcp is 50% (below 70%)',
    });
    // The same cluster against a threshold below both coverages: nothing fires.
    assert.equal((await coverageAlerts(keyB)).totalCount, 0);
  });

  it('keeps a pending `for` in Postgres until it has held long enough, then fires and clears it', async () => {
    const prisma = api.app.get(PrismaService);
    await setThreshold(keyB, 0.9, 300);
    const now = new Date();
    await worker.get(AlertsEvaluator).evaluateAll(now);
    const pending = await prisma.alertPending.findMany({ where: { clusterId: b.id } });
    assert.equal(pending.length, 1);
    assert.match(pending[0]!.fingerprint, /^MTLS_COVERAGE_BELOW\|/);
    const due = await prisma.alertDue.findUniqueOrThrow({ where: { clusterId: b.id } });
    assert.equal(due.dueAt.getTime(), pending[0]!.since.getTime() + 300_000);
    assert.equal((await coverageAlerts(keyB)).totalCount, 0);

    await worker.get(AlertsEvaluator).evaluateAll(new Date(due.dueAt.getTime() + 1000));
    assert.equal((await coverageAlerts(keyB)).totalCount, 1);
    assert.equal(await prisma.alertPending.count({ where: { clusterId: b.id } }), 0);
    assert.equal(await prisma.alertDue.count({ where: { clusterId: b.id } }), 0);
  });
});
