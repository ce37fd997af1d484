// Coverage trend per namespace: every stored sample keeps each reported namespace's meshed/total
// pods, and healthHistory shows them (all, or the one asked for) through the real ingest path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { PrismaService } from '@meshfleet/db';
import { startApi, TestApi } from './harness';
import { agentCall, registerAndEnroll } from './agent-http';

let sequence = Date.now();

/** A report whose namespaces have these [meshed, total] pods (a copy of the example's namespace). */
async function postReport(
  api: TestApi,
  credential: string,
  at: Date,
  coverage: Record<string, [number, number]>,
) {
  const r = exampleHealthReport() as any;
  const template = r.mtls.namespaces[0];
  r.sequence = ++sequence;
  r.generatedAt = at.toISOString();
  r.mtls.namespaces = Object.entries(coverage).map(([name, [meshed, total]]) => ({
    ...template,
    name,
    meshedPods: meshed,
    totalPods: total,
    workloads: [{ ...template.workloads[0], meshedPods: meshed, totalPods: total }],
  }));
  r.mtls.meshedPods = Object.values(coverage).reduce((s, [m]) => s + m, 0);
  r.mtls.totalPods = Object.values(coverage).reduce((s, [, t]) => s + t, 0);
  r.mtls.podCoverage = r.mtls.totalPods ? r.mtls.meshedPods / r.mtls.totalPods : null;
  const res = await agentCall(api, 'POST', '/reports', credential, r);
  assert.equal(res.status, 202);
}

describe('healthHistory per namespace', () => {
  let api: TestApi;
  let key: string;
  let cluster: { id: string; credential: string };
  const t0 = new Date(Date.now() - 10 * 60_000);
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('ns-coverage'));
    cluster = await registerAndEnroll(api, key, { name: 'eks-prod' });
    await postReport(api, cluster.credential, at(1), { legacy: [0, 3], shop: [4, 4] });
    await postReport(api, cluster.credential, at(2), { legacy: [1, 3], shop: [4, 4] });
    await postReport(api, cluster.credential, at(3), { legacy: [3, 3] });
  });
  after(async () => {
    await api?.close();
  });

  const history = (variables: Record<string, unknown>) =>
    api.gql(
      `query($id: ID!, $ns: String, $from: DateTime) {
        healthHistory(clusterId: $id, namespace: $ns, from: $from) {
          meshedPods totalPods
          namespaces { name meshedPods totalPods podCoverage }
          namespace { name meshedPods totalPods podCoverage }
        }
      }`,
      { id: cluster.id, from: t0.toISOString(), ...variables },
      key,
    );

  it('carries every reported namespace on each sample, and the trend of the one asked for', async () => {
    const r = await history({ ns: 'legacy' });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const samples = r.data!.healthHistory;
    assert.equal(samples.length, 3);
    assert.deepEqual(
      samples.map((s: any) => s.namespace),
      [
        { name: 'legacy', meshedPods: 0, totalPods: 3, podCoverage: 0 },
        { name: 'legacy', meshedPods: 1, totalPods: 3, podCoverage: 1 / 3 },
        { name: 'legacy', meshedPods: 3, totalPods: 3, podCoverage: 1 },
      ],
    );
    assert.deepEqual(samples[0].namespaces, [
      { name: 'legacy', meshedPods: 0, totalPods: 3, podCoverage: 0 },
      { name: 'shop', meshedPods: 4, totalPods: 4, podCoverage: 1 },
    ]);
    // The cluster-level numbers are unchanged by the argument.
    assert.deepEqual(
      samples.map((s: any) => [s.meshedPods, s.totalPods]),
      [
        [4, 7],
        [5, 7],
        [3, 3],
      ],
    );
  });

  it('is null for a sample that did not report the namespace, and without the argument', async () => {
    const shop = (await history({ ns: 'shop' })).data!.healthHistory;
    assert.deepEqual(
      shop.map((s: any) => s.namespace?.meshedPods ?? null),
      [4, 4, null],
    );
    const none = (await history({})).data!.healthHistory;
    assert.ok(none.every((s: any) => s.namespace === null));
    assert.equal(none[2].namespaces.length, 1);
  });

  it('stores the compact form in the sample row', async () => {
    const prisma = api.app.get(PrismaService);
    const rows = await prisma.healthSample.findMany({
      where: { clusterId: cluster.id },
      orderBy: { at: 'asc' },
    });
    assert.deepEqual(rows[0]!.namespaceCoverage, { legacy: [0, 3], shop: [4, 4] });
    // A sample from before the column existed shows no namespaces rather than an empty list.
    await prisma.$executeRaw`UPDATE "HealthSample" SET "namespaceCoverage" = NULL WHERE "id" = ${rows[0]!.id}`;
    const r = (await history({ ns: 'legacy' })).data!.healthHistory;
    assert.equal(r[0].namespaces, null);
    assert.equal(r[0].namespace, null);
    assert.equal(r[1].namespace.meshedPods, 1);
  });

  it('refuses a namespace that is not a Kubernetes name', async () => {
    const r = await history({ ns: 'Kube_System!' });
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    assert.match(r.errors![0]!.message, /namespace/);
  });
});
