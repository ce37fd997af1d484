// A report changes presence and state only once it is stored, and one report can never freeze a
// cluster's health: a sequence far ahead of the server clock is refused, and re-enrolling starts
// the sequence over.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrismaService } from '@meshfleet/db';
import { RedisService } from '@meshfleet/redis';
import { exampleEnrollRequest, exampleHealthReport } from '@meshfleet/agent-protocol';
import { agentCall, registerAndEnroll } from './agent-http';
import { startApi, type TestApi } from './harness';

const report = (sequence: number) => ({
  ...exampleHealthReport(),
  sequence,
  generatedAt: new Date().toISOString(),
});

describe('what a report may change', () => {
  let api: TestApi;
  let key: string;
  let prisma: PrismaService;
  let redis: RedisService;

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('reports'));
    prisma = api.app.get(PrismaService);
    redis = api.app.get(RedisService);
  });
  after(() => api.close());

  it('refuses a sequence more than a day ahead of the server clock, naming the field', async () => {
    const c = await registerAndEnroll(api, key, { name: 'ahead' });
    for (const sequence of [Number.MAX_SAFE_INTEGER, Date.now() + 2 * 86_400_000]) {
      const r = await agentCall(api, 'POST', '/reports', c.credential, report(sequence));
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(JSON.stringify(r.body), /sequence/);
    }
    const ok = await agentCall(api, 'POST', '/reports', c.credential, report(Date.now()));
    assert.equal(ok.status, 202);
    assert.equal(ok.body.accepted, true, 'the refused reports stored nothing to be behind');
  });

  it('starts the sequence over when the cluster re-enrolls, the way out of a frozen snapshot', async () => {
    const c = await registerAndEnroll(api, key, { name: 'frozen' });
    // An agent whose clock ran 12 h ahead stored its report ...
    const ahead = await agentCall(api, 'POST', '/reports', c.credential, report(Date.now() + 12 * 3600_000));
    assert.equal(ahead.body.accepted, true);
    // ... so the fixed agent's reports are "older" and ignored.
    const behind = await agentCall(api, 'POST', '/reports', c.credential, report(Date.now()));
    assert.equal(behind.body.accepted, false);
    const token = (
      await api.gql(
        `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { bootstrapToken { token } } }`,
        { id: c.id },
        key,
      )
    ).data!.rotateBootstrapToken.bootstrapToken.token;
    const enrolled = await agentCall(api, 'POST', '/enroll', undefined, {
      ...exampleEnrollRequest(),
      bootstrapToken: token,
    });
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    const fresh = await agentCall(api, 'POST', '/reports', enrolled.body.credential, report(Date.now()));
    assert.equal(fresh.body.accepted, true, 'accepted after re-enrolling');
  });

  it('leaves the bootstrap token unspent when enrollment fails, so the agent can retry with it', async () => {
    const reg = await api.gql(
      `mutation { registerCluster(input: { name: "retry", provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
      {},
      key,
    );
    const token = reg.data!.registerCluster.bootstrapToken.token;
    const enroll = () =>
      agentCall(api, 'POST', '/enroll', undefined, { ...exampleEnrollRequest(), bootstrapToken: token });
    await prisma.$executeRawUnsafe(
      `ALTER TABLE "AgentCredential" ADD CONSTRAINT "test_refuse_all" CHECK (false) NOT VALID`,
    );
    try {
      assert.equal((await enroll()).status, 500);
    } finally {
      await prisma.$executeRawUnsafe(`ALTER TABLE "AgentCredential" DROP CONSTRAINT "test_refuse_all"`);
    }
    const row = await prisma.bootstrapToken.findFirstOrThrow({
      where: { clusterId: reg.data!.registerCluster.cluster.id },
    });
    assert.equal(row.usedAt, null, 'the failed enrollment spent nothing');
    const again = await enroll();
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await enroll()).status, 401, 'then it is spent');
  });

  it('leaves presence, state and events alone when storing the report fails', async () => {
    const c = await registerAndEnroll(api, key, { name: 'failing' });
    const presenceKey = redis.key('agents', 'last-seen');
    await prisma.$executeRawUnsafe(`UPDATE "Cluster" SET "status" = 'OFFLINE' WHERE "id" = $1::uuid`, c.id);
    await redis.client.zrem(presenceKey, c.id);
    const eventsBefore = await prisma.domainEvent.count({ where: { clusterId: c.id } });
    // Every snapshot write fails in Postgres from now on.
    await prisma.$executeRawUnsafe(
      `ALTER TABLE "ClusterHealth" ADD CONSTRAINT "test_refuse_all" CHECK (false) NOT VALID`,
    );
    try {
      const r = await agentCall(api, 'POST', '/reports', c.credential, report(Date.now()));
      assert.equal(r.status, 500);
      assert.deepEqual(r.body, { error: 'INTERNAL', message: 'Internal server error' }, 'a code, no details');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cluster = await prisma.cluster.findUniqueOrThrow({ where: { id: c.id } });
      assert.equal(cluster.status, 'OFFLINE', 'not marked CONNECTED by a report that was not stored');
      assert.equal(await redis.client.zscore(presenceKey, c.id), null, 'presence untouched');
      assert.equal(
        await prisma.domainEvent.count({ where: { clusterId: c.id } }),
        eventsBefore,
        'no cluster.online',
      );
    } finally {
      await prisma.$executeRawUnsafe(`ALTER TABLE "ClusterHealth" DROP CONSTRAINT "test_refuse_all"`);
    }
    // The same report stored: now it counts (presence is written behind, within 100 ms).
    const ok = await agentCall(api, 'POST', '/reports', c.credential, report(Date.now()));
    assert.equal(ok.body.accepted, true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.notEqual(await redis.client.zscore(presenceKey, c.id), null, 'a stored report touches presence');
  });
});
