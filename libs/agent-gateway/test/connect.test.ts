import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterStatus, PrismaService } from '@meshfleet/db';
import { createTestDatabase, TestDatabase } from '@meshfleet/testing';
import { ConnectBatcher } from '../src/connect.batcher';
import { LivenessRepository } from '../src/liveness.repository';
import { testConfig } from './helpers';

describe('batched absent -> CONNECTED transitions', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let batcher: ConnectBatcher;
  let organizationId: string;

  const newCluster = async (name: string, status: ClusterStatus) =>
    (await prisma.cluster.create({ data: { organizationId, name, provider: 'EKS', status } })).id;

  before(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService(testConfig(db, 3));
    batcher = new ConnectBatcher(new LivenessRepository(prisma));
    organizationId = (await prisma.organization.create({ data: { name: 'connect' } })).id;
  });
  after(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('connects many clusters at once, one cluster.online event per transition', async () => {
    const offline = await Promise.all(
      Array.from({ length: 20 }, (_, i) => newCluster(`off-${i}`, ClusterStatus.OFFLINE)),
    );
    const connected = await newCluster('on', ClusterStatus.CONNECTED);
    const gone = await newCluster('gone', ClusterStatus.DEREGISTERED);
    const at = new Date();
    const ids = [...offline, offline[0]!, connected, gone];
    const results = await Promise.all(
      ids.map((id) => batcher.markConnected(organizationId, id, '0.2.0', at)),
    );
    assert.deepEqual(results, [...offline.map(() => true), false, false, false]);
    const clusters = await prisma.cluster.findMany({ where: { id: { in: ids } } });
    const byId = new Map(clusters.map((c) => [c.id, c]));
    for (const id of [...offline, connected]) {
      assert.equal(byId.get(id)!.status, 'CONNECTED');
      assert.equal(byId.get(id)!.agentVersion, '0.2.0');
      assert.deepEqual(byId.get(id)!.lastSeenAt, at);
    }
    assert.equal(byId.get(gone)!.status, 'DEREGISTERED', 'a deregistered cluster stays deregistered');
    const events = await prisma.domainEvent.findMany({
      where: { type: 'cluster.online', clusterId: { in: ids } },
    });
    assert.equal(events.length, offline.length);
    assert.deepEqual(events[0]!.payload, {
      clusterName: byId.get(events[0]!.clusterId!)!.name,
      previousStatus: 'OFFLINE',
    });
  });

  it('only touches clusters of the given organization', async () => {
    const id = await newCluster('mine', ClusterStatus.OFFLINE);
    const other = (await prisma.organization.create({ data: { name: 'other' } })).id;
    assert.equal(await batcher.markConnected(other, id, '0.2.0', new Date()), false);
    assert.equal((await prisma.cluster.findUniqueOrThrow({ where: { id } })).status, 'OFFLINE');
  });
});
