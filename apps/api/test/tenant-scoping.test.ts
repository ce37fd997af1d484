// Repository methods that address a tenant row by id also take the organization id and filter
// by it: given another organization's id, each finds nothing and changes nothing. Every check
// also runs with the owning organization, so a method that ignored the id would fail here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EnrollmentRepository } from '@meshfleet/agent-gateway';
import { AlertsRepository } from '@meshfleet/alerts';
import { PrincipalsRepository } from '@meshfleet/auth';
import { IdentityDomainsRepository, KeyRotationRepository, Sealed } from '@meshfleet/certificates';
import { loadConfig } from '@meshfleet/config';
import { NotFoundError } from '@meshfleet/core';
import { Cluster, PrismaService, RolloutStatus, RolloutTargetStatus } from '@meshfleet/db';
import { RolloutsRepository } from '@meshfleet/rollouts';
import { createTestDatabase, TestDatabase, testRedisUrl } from '@meshfleet/testing';
import { WebhooksRepository } from '@meshfleet/webhooks';

const sealed = (kid: string): Sealed => ({
  v: 1,
  kid,
  wrappedKey: 'wk',
  wrapIv: 'wi',
  wrapTag: 'wt',
  iv: 'iv',
  tag: 'tg',
  ciphertext: 'ct',
});

describe('tenant scoping of repository methods', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let mine: string;
  let other: string;
  let cluster: Cluster;

  before(async () => {
    db = await createTestDatabase();
    prisma = new PrismaService(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        DATABASE_POOL_SIZE: '4',
        REDIS_URL: testRedisUrl(),
        MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
        LOG_LEVEL: 'silent',
      }),
    );
    mine = (await prisma.organization.create({ data: { name: 'owner' } })).id;
    other = (await prisma.organization.create({ data: { name: 'someone else' } })).id;
    cluster = await prisma.cluster.create({
      data: { organizationId: mine, name: 'prod-1', provider: 'EKS', status: 'CONNECTED' },
    });
  });
  after(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('authentication: touching an API key', async () => {
    const repo = new PrincipalsRepository(prisma);
    const key = await prisma.apiKey.create({
      data: { organizationId: mine, name: 'ci', prefix: 'mfk_1', keyHash: 'h-ci', role: 'ADMIN' },
    });
    const at = new Date('2026-01-02T03:04:05Z');
    await repo.touchApiKey(other, key.id, at);
    assert.equal((await prisma.apiKey.findUnique({ where: { id: key.id } }))!.lastUsedAt, null);
    await repo.touchApiKey(mine, key.id, at);
    assert.deepEqual((await prisma.apiKey.findUnique({ where: { id: key.id } }))!.lastUsedAt, at);
  });

  it('enrollment: spending a token, replacing the credential, marking the cluster enrolled', async () => {
    const repo = new EnrollmentRepository(prisma);
    const c = await prisma.cluster.create({
      data: { organizationId: mine, name: 'enroll', provider: 'GKE' },
    });
    const token = await prisma.bootstrapToken.create({
      data: {
        organizationId: mine,
        clusterId: c.id,
        tokenHash: 'tok',
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    const now = new Date();
    await repo.transaction(async (tx) => {
      assert.equal(await repo.spendToken(tx, other, token.id, now), false);
      await assert.rejects(
        repo.replaceCredential(tx, other, c.id, { prefix: 'mfa_x', hash: 'cred-x' }, now),
        NotFoundError,
      );
    });
    const facts = {
      detectedProvider: 'EKS' as const,
      kubernetesVersion: 'v1.31.0',
      nodeCount: 3,
      agentVersion: '1.0.0',
      region: null,
      at: now,
    };
    assert.equal(await repo.transaction((tx) => repo.markEnrolled(tx, other, c.id, facts)), false);
    assert.equal((await prisma.bootstrapToken.findUnique({ where: { id: token.id } }))!.usedAt, null);
    assert.equal(await prisma.agentCredential.count({ where: { clusterId: c.id } }), 0);
    assert.equal((await prisma.cluster.findUnique({ where: { id: c.id } }))!.status, 'PENDING');

    await repo.transaction(async (tx) => {
      assert.equal(await repo.spendToken(tx, mine, token.id, now), true);
      await repo.replaceCredential(tx, mine, c.id, { prefix: 'mfa_y', hash: 'cred-y' }, now);
      assert.equal(await repo.markEnrolled(tx, mine, c.id, facts), true);
    });
    assert.equal(await prisma.agentCredential.count({ where: { clusterId: c.id, organizationId: mine } }), 1);
    assert.equal((await prisma.cluster.findUnique({ where: { id: c.id } }))!.status, 'CONNECTED');
  });

  it('key rotation: swapping a trust-anchor key and a webhook secret', async () => {
    const repo = new KeyRotationRepository(prisma);
    const d = await prisma.identityDomain.create({
      data: {
        organizationId: mine,
        name: 'mesh',
        trustDomain: 'cluster.local',
        mode: 'MANAGED',
        anchorKeyEnc: sealed('old') as object,
      },
    });
    const e = await prisma.webhookEndpoint.create({
      data: { organizationId: mine, url: 'https://hooks.example.test/a', secretEnc: sealed('old') as object },
    });
    assert.equal(await repo.swapTrustAnchorKey(other, d.id, sealed('old'), sealed('new')), false);
    assert.equal(await repo.swapWebhookSecret(other, e.id, 'secretEnc', sealed('old'), sealed('new')), false);
    assert.equal(await repo.swapTrustAnchorKey(mine, d.id, sealed('old'), sealed('new')), true);
    assert.equal(await repo.swapWebhookSecret(mine, e.id, 'secretEnc', sealed('old'), sealed('new')), true);
    assert.deepEqual(await repo.keysInUse(), { new: 2 });
  });

  it('identity domains: reading a domain, recording an issuer it signed', async () => {
    const repo = new IdentityDomainsRepository(prisma);
    const d = await repo.transaction((tx) =>
      repo.create(tx, mine, { name: 'issuers', trustDomain: 'cluster.local', mode: 'EXTERNAL' }),
    );
    await assert.rejects(repo.get(other, d.id), NotFoundError);
    assert.equal((await repo.get(mine, d.id)).id, d.id);
    const issuer = {
      identityDomainId: d.id,
      clusterId: cluster.id,
      serialNumber: '01',
      certPem: 'pem',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
    };
    await assert.rejects(
      repo.transaction((tx) => repo.recordIssuer(tx, other, issuer)),
      NotFoundError,
    );
    assert.deepEqual(await repo.issuersOf(mine, d.id), []);
    await repo.transaction((tx) => repo.recordIssuer(tx, mine, issuer));
    assert.equal((await repo.issuersOf(mine, d.id)).length, 1);
    assert.deepEqual(await repo.issuersOf(other, d.id), []);
  });

  it('webhooks: endpoints, deliveries and the clusters events name', async () => {
    const repo = new WebhooksRepository(prisma);
    const e = await prisma.webhookEndpoint.create({
      data: { organizationId: mine, url: 'https://hooks.example.test/b', secretEnc: sealed('k') as object },
    });
    const d = await prisma.webhookDelivery.create({
      data: { organizationId: mine, endpointId: e.id, eventType: 'webhook.test', payload: {} },
    });

    await assert.rejects(repo.endpoint(other, e.id), NotFoundError);
    assert.equal((await repo.endpoint(mine, e.id)).id, e.id);
    await assert.rejects(
      repo.transaction((tx) => repo.updateEndpoint(tx, other, e.id, { description: 'taken over' })),
      NotFoundError,
    );
    await repo.transaction(async (tx) => {
      assert.equal(await repo.findDelivery(tx, other, d.id), null);
      assert.equal(await repo.lockDelivery(tx, other, d.id), false);
      assert.equal((await repo.findDelivery(tx, mine, d.id))?.endpoint.id, e.id);
      assert.equal(await repo.lockDelivery(tx, mine, d.id), true);
      assert.deepEqual(await repo.clusters(tx, [other], [cluster.id]), []);
      assert.deepEqual(
        (await repo.clusters(tx, [mine], [cluster.id])).map((c) => c.name),
        ['prod-1'],
      );
    });
    await assert.rejects(
      repo.transaction((tx) => repo.updateDelivery(tx, other, d.id, { status: 'FAILED' })),
      NotFoundError,
    );
    await repo.failDelivery(other, d.id, 'not yours');
    assert.equal((await prisma.webhookDelivery.findUnique({ where: { id: d.id } }))!.status, 'PENDING');
    await repo.failDelivery(mine, d.id, 'endpoint disabled');
    assert.equal((await prisma.webhookDelivery.findUnique({ where: { id: d.id } }))!.status, 'FAILED');

    await assert.rejects(
      repo.transaction((tx) => repo.deleteEndpoint(tx, other, e.id)),
      NotFoundError,
    );
    assert.equal(await prisma.webhookEndpoint.count({ where: { id: e.id } }), 1);
    await repo.transaction((tx) => repo.deleteEndpoint(tx, mine, e.id));
    assert.equal(await prisma.webhookEndpoint.count({ where: { id: e.id } }), 0);
  });

  it('alerts: updating, resolving, and what the evaluator reads', async () => {
    const repo = new AlertsRepository(prisma);
    const fp = `offline::${cluster.id}`;
    const a = await repo.transaction((tx) =>
      repo.fire(
        tx,
        {
          organizationId: mine,
          kind: 'AGENT_OFFLINE',
          fingerprint: fp,
          clusterId: cluster.id,
          subject: 'prod-1',
          severity: 'critical',
          summary: 'offline',
        },
        new Date(),
      ),
    );
    assert.ok(a);
    await repo.transaction(async (tx) => {
      assert.equal(await repo.firingByFingerprint(tx, other, fp), null);
      assert.equal((await repo.firingByFingerprint(tx, mine, fp))?.id, a.id);
      assert.equal(await repo.clusterState(tx, other, cluster.id), null);
      assert.equal((await repo.clusterState(tx, mine, cluster.id))?.name, 'prod-1');
    });
    await assert.rejects(
      repo.transaction((tx) => repo.update(tx, other, a.id, { summary: 'changed' })),
      NotFoundError,
    );
    await assert.rejects(
      repo.transaction((tx) => repo.resolve(tx, other, a.id, new Date())),
      NotFoundError,
    );
    assert.equal((await prisma.alert.findUnique({ where: { id: a.id } }))!.status, 'FIRING');
    await repo.transaction((tx) => repo.resolve(tx, mine, a.id, new Date()));
    assert.equal((await prisma.alert.findUnique({ where: { id: a.id } }))!.status, 'RESOLVED');
  });

  it('rollouts: reading, moving, claiming, retrying, aborting, gate facts', async () => {
    const repo = new RolloutsRepository(prisma);
    const r = await repo.transaction((tx) =>
      repo.create(
        tx,
        mine,
        {
          name: 'upgrade',
          targetVersion: 'stable-2.15.0',
          selector: {},
          strategy: {},
          createdBy: 'test',
          startedAt: new Date(),
        },
        [{ clusterId: cluster.id, clusterName: cluster.name, wave: 0, fromVersion: null }],
      ),
    );
    const [target] = await repo.waveTargets(r.id, 0);

    assert.equal(await repo.header(other, r.id), null);
    assert.equal(await repo.byId(other, r.id), null);
    assert.equal((await repo.header(mine, r.id))?.id, r.id);
    assert.equal((await repo.byId(mine, r.id))?.targets.length, 1);
    assert.deepEqual(await repo.gateFacts(other, [cluster.id]), []);
    assert.deepEqual(
      (await repo.gateFacts(mine, [cluster.id])).map((f) => f.id),
      [cluster.id],
    );

    assert.deepEqual(await repo.claim(other, r.id, [target!.id]), []);
    assert.deepEqual(await repo.claim(mine, r.id, [target!.id]), [target!.id]);

    const paused = { status: RolloutStatus.PAUSED, pausedReason: 'test' };
    assert.equal(
      await repo.transaction((tx) => repo.moveRollout(tx, other, r.id, RolloutStatus.RUNNING, paused)),
      false,
    );
    assert.equal(
      await repo.transaction((tx) => repo.moveRollout(tx, mine, r.id, RolloutStatus.RUNNING, paused)),
      true,
    );

    await repo.moveTarget(target!.id, RolloutTargetStatus.UPGRADING, { status: RolloutTargetStatus.FAILED });
    const header = (await repo.header(mine, r.id))!;
    await repo.transaction((tx) => repo.retryFailedTargets(tx, other, header));
    assert.equal((await repo.waveTargets(r.id, 0))[0]!.status, RolloutTargetStatus.FAILED);
    await repo.transaction((tx) => repo.retryFailedTargets(tx, mine, header));
    assert.equal((await repo.waveTargets(r.id, 0))[0]!.status, RolloutTargetStatus.WAITING);

    const reasons = { skipped: 'rollout aborted', gateCutShort: 'cut short' };
    await repo.transaction((tx) => repo.abortTargets(tx, other, r.id, reasons));
    assert.equal((await repo.waveTargets(r.id, 0))[0]!.status, RolloutTargetStatus.WAITING);
    await repo.transaction((tx) => repo.abortTargets(tx, mine, r.id, reasons));
    assert.equal((await repo.waveTargets(r.id, 0))[0]!.status, RolloutTargetStatus.SKIPPED);
  });
});
