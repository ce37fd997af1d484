import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exampleHealthReport, HealthReport, HealthReportSchema } from '@meshfleet/agent-protocol';
import { PrismaService } from '@meshfleet/db';
import { createTestDatabase, TestDatabase } from '@meshfleet/testing';
import { ReportIngestBatcher } from '../src/reports/report-ingest.batcher';
import { ReportIngestRepository } from '../src/reports/report-ingest.repository';
import { testConfig } from './helpers';

describe('batched report ingestion', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let repo: ReportIngestRepository;
  let batcher: ReportIngestBatcher;
  let organizationId: string;

  const report = (sequence: number, mutate?: (r: HealthReport) => void): HealthReport => {
    const r = HealthReportSchema.parse({
      ...exampleHealthReport(),
      sequence,
      generatedAt: new Date().toISOString(),
    });
    mutate?.(r);
    return r;
  };
  const newCluster = async (name: string) => {
    const c = await prisma.cluster.create({
      data: { organizationId, name, provider: 'EKS', status: 'CONNECTED' },
    });
    return { organizationId, clusterId: c.id, clusterName: c.name };
  };

  before(async () => {
    db = await createTestDatabase();
    const config = testConfig(db, 3);
    prisma = new PrismaService(config);
    repo = new ReportIngestRepository(config);
    batcher = new ReportIngestBatcher(repo);
    organizationId = (await prisma.organization.create({ data: { name: 'batch' } })).id;
  });
  after(async () => {
    await repo.onModuleDestroy();
    await prisma.$disconnect();
    await db.drop();
  });

  it('stores the same snapshot, sample, cluster facts and event for a report alone as in a batch', async () => {
    const a = await newCluster('same-a');
    const b = await newCluster('same-b');
    const other = await newCluster('same-other');
    const receivedAt = new Date();
    const r = report(3);
    assert.deepEqual(await repo.ingestMany([{ ...a, report: r, receivedAt }]), new Set([a.clusterId]));
    assert.deepEqual(
      await repo.ingestMany([
        { ...other, report: report(4), receivedAt },
        { ...b, report: r, receivedAt },
      ]),
      new Set([other.clusterId, b.clusterId]),
    );
    const health = (id: string) => prisma.clusterHealth.findUniqueOrThrow({ where: { clusterId: id } });
    const [ha, hb] = await Promise.all([health(a.clusterId), health(b.clusterId)]);
    const { clusterId: _a, ...restA } = ha;
    const { clusterId: _b, ...restB } = hb;
    assert.deepEqual(restA, restB);
    const cluster = (id: string) => prisma.cluster.findUniqueOrThrow({ where: { id } });
    const [ca, cb] = await Promise.all([cluster(a.clusterId), cluster(b.clusterId)]);
    assert.deepEqual(
      [ca.lastSeenAt, ca.agentVersion, ca.kubernetesVersion],
      [cb.lastSeenAt, cb.agentVersion, cb.kubernetesVersion],
    );
    const samples = await prisma.healthSample.findMany({
      where: { clusterId: { in: [a.clusterId, b.clusterId] } },
    });
    const [sa, sb] = samples.map(({ id: _i, clusterId: _c, ...s }) => s);
    assert.deepEqual(sa, sb);
    const events = await prisma.domainEvent.findMany({
      where: { clusterId: { in: [a.clusterId, b.clusterId] }, type: 'cluster.health_changed' },
    });
    assert.deepEqual(
      events.map((e) => e.payload as Record<string, unknown>).map(({ clusterName: _n, ...p }) => p),
      [
        { from: null, to: 'HEALTHY' },
        { from: null, to: 'HEALTHY' },
      ],
    );
  });

  it('coalesces concurrent reports of many clusters, each answered for itself', async () => {
    const clusters = await Promise.all(Array.from({ length: 40 }, (_, i) => newCluster(`many-${i}`)));
    const receivedAt = new Date();
    const accepted = await Promise.all(
      clusters.map((c) => batcher.ingest({ ...c, report: report(10), receivedAt })),
    );
    assert.deepEqual(
      accepted,
      clusters.map(() => true),
    );
    const again = await Promise.all(
      clusters.map((c, i) => batcher.ingest({ ...c, report: report(i % 2 ? 11 : 9), receivedAt })),
    );
    assert.deepEqual(
      again,
      clusters.map((_, i) => i % 2 === 1),
      'only the higher sequence replaces',
    );
    const ids = clusters.map((c) => c.clusterId);
    assert.equal(await prisma.healthSample.count({ where: { clusterId: { in: ids } } }), 60);
    const stored = await prisma.clusterHealth.findMany({ where: { clusterId: { in: ids } } });
    assert.deepEqual(new Set(stored.map((h) => Number(h.sequence))), new Set([10, 11]));
  });

  it('keeps reports of one cluster in separate statements, so the highest sequence wins', async () => {
    const c = await newCluster('one');
    const receivedAt = new Date();
    const failing = report(7, (r) => {
      r.checks.success = false;
      r.checks.categories[0]!.checks[0]!.result = 'error';
    });
    const results = await Promise.all([
      batcher.ingest({ ...c, report: report(5), receivedAt }),
      batcher.ingest({ ...c, report: failing, receivedAt }),
      batcher.ingest({ ...c, report: report(6), receivedAt }),
    ]);
    assert.deepEqual(results, [true, true, false]);
    const h = await prisma.clusterHealth.findUniqueOrThrow({ where: { clusterId: c.clusterId } });
    assert.equal(Number(h.sequence), 7);
    assert.equal(h.status, 'UNHEALTHY');
    const events = await prisma.domainEvent.findMany({
      where: { clusterId: c.clusterId, type: 'cluster.health_changed' },
      orderBy: { createdAt: 'asc' },
    });
    assert.deepEqual(
      events.map((e) => (e.payload as { to: string }).to),
      ['HEALTHY', 'UNHEALTHY'],
    );
  });

  it('fails only the request whose row cannot be stored', async () => {
    const good = await Promise.all([newCluster('good-1'), newCluster('good-2')]);
    const ghost = { organizationId, clusterId: randomUUID(), clusterName: 'ghost' };
    const receivedAt = new Date();
    const results = await Promise.allSettled(
      [good[0]!, ghost, good[1]!].map((c) => batcher.ingest({ ...c, report: report(1), receivedAt })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(
      await prisma.clusterHealth.count({ where: { clusterId: { in: good.map((g) => g.clusterId) } } }),
      2,
    );
  });
});
