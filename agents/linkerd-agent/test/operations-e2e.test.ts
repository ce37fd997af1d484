// Lifecycle operations end to end: GraphQL mutation → API → BullMQ worker → agent long-poll →
// server-side apply on the simulator → steps and outcome back in GraphQL. Real processes for the
// API and the worker; the worker starts only after Redis lost the job, so the reconciler must
// re-dispatch from Postgres.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { testRedisUrl } from '@meshfleet/testing';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const OP = `id kind status error steps { step status }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status health { status categories { name checks { description result } } }
  linkerd { installed version proxyVersions { version count } }
} }`;

describe('lifecycle operations end to end', () => {
  let fleet: E2eFleet;
  let clusterId: string;
  let domainId: string;

  const q = (query: string, variables: Record<string, unknown> = {}) => fleet.q(query, variables);
  const op = async (id: string) =>
    (await q(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id })).data!.operation;
  const cluster = async () => (await q(CLUSTER, { id: clusterId })).data!.cluster;

  before(async () => {
    // No worker yet: the first test loses Redis's dispatch job before any worker runs.
    fleet = await startE2eFleet([PLAIN_CLUSTER], { worker: false });
    clusterId = fleet.member('plain').clusterId;
    domainId = (await q(`mutation { createIdentityDomain(input: { name: "fleet" }) { id } }`)).data!
      .createIdentityDomain.id;
    await eventually(
      cluster,
      (c) => c.status === 'CONNECTED' && c.linkerd?.installed === false,
      20_000,
      'first report',
    );
  });

  after(async () => {
    await fleet?.stop();
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
    const keys = await redis.keys(`${fleet.env.MESHFLEET_REDIS_PREFIX}:bull*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    assert.equal((await op(opId)).status, 'QUEUED');
    fleet.startWorker();
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
