// The outbox on a real database: each handler gets every event, in a transaction of its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@meshfleet/config';
import { Db, DomainEvent, PrismaService } from '@meshfleet/db';
import {
  OutboxConsumer,
  OutboxHandler,
  OutboxListener,
  OutboxRepository,
  recordDomainEvent,
} from '@meshfleet/events';
import { MetricsService } from '@meshfleet/observability';
import { createTestDatabase, TestDatabase, testRedisUrl } from '@meshfleet/testing';
import { eventually } from './agent-http';

/** A handler that records what it saw (after its transaction committed) and can be told to fail or wait. */
function probe(name: string) {
  const seen: string[] = [];
  const state = {
    seen,
    entered: false,
    failing: false,
    hold: null as Promise<void> | null,
    handler: {
      name,
      async handle(db: Db, events: DomainEvent[]) {
        state.entered = true;
        // A write of its own in its transaction: rolled back with it when the handler fails.
        await db.organization.create({ data: { name: `written by ${name} ${randomUUID()}` } });
        if (state.hold) await state.hold;
        if (state.failing) throw new Error(`${name} is broken`);
        return async () => {
          seen.push(...events.map((e) => (e.payload as { clusterName: string }).clusterName));
        };
      },
    } satisfies OutboxHandler,
  };
  return state;
}

describe('outbox', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let organizationId: string;

  const event = (clusterName: string) =>
    recordDomainEvent(prisma, organizationId, 'cluster.online', null, {
      clusterName,
      previousStatus: 'PENDING',
    });
  const writtenBy = (name: string) =>
    prisma.organization.count({ where: { name: { startsWith: `written by ${name} ` } } });
  const consumer = (handlers: OutboxHandler[], opts: { pollIntervalMs?: number } = {}) => {
    const c = new OutboxConsumer(new OutboxRepository(prisma), new MetricsService());
    for (const h of handlers) c.register(h, opts);
    return c;
  };
  /** Resolves with the ms from now until `name` is among what the probe saw (or rejects after `ms`). */
  const handledWithin = async (p: ReturnType<typeof probe>, name: string, ms: number) => {
    const t0 = Date.now();
    await eventually(
      () => p.seen,
      (s) => s.includes(name),
      ms,
      10,
    );
    return Date.now() - t0;
  };
  const listenerFor = (c: OutboxConsumer) =>
    new OutboxListener({ connectionString: db.url, onWake: () => c.poke(), retryMs: 50, maxRetryMs: 200 });

  before(async () => {
    db = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '6',
      REDIS_URL: testRedisUrl(),
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      LOG_LEVEL: 'silent',
    });
    prisma = new PrismaService(config);
    organizationId = (await prisma.organization.create({ data: { name: 'outbox' } })).id;
  });
  after(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('reports per consumer the age of the oldest event it has not handled (meshfleet_outbox_lag_seconds)', async () => {
    const metrics = new MetricsService();
    const a = probe('lag-a');
    const b = probe('lag-b');
    const c = new OutboxConsumer(new OutboxRepository(prisma), metrics);
    c.register(a.handler);
    c.register(b.handler);
    const lag = async () => {
      const text = await metrics.registry.getSingleMetricAsString('meshfleet_outbox_lag_seconds');
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^meshfleet_outbox_lag_seconds\{consumer="([^"]+)"\} (\S+)$/gm))
        out[m[1]!] = Number(m[2]);
      return out;
    };
    const drain = async () => {
      while ((await c.handOut()) > 0);
      while ((await c.handleOnce(a.handler)) > 0);
      while ((await c.handleOnce(b.handler)) > 0);
    };
    await drain();
    assert.deepEqual(await lag(), { 'lag-a': 0, 'lag-b': 0 });

    // An event not handed out yet is late for every consumer.
    await event('late');
    await prisma.domainEvent.updateMany({
      where: { processedAt: null },
      data: { createdAt: new Date(Date.now() - 30_000) },
    });
    const before = await lag();
    assert.ok(before['lag-a']! >= 30 && before['lag-a']! < 60, JSON.stringify(before));
    assert.ok(before['lag-b']! >= 30, JSON.stringify(before));

    // Handed out and handled by one consumer: only the other one is still behind.
    await c.handOut();
    assert.equal(await c.handleOnce(a.handler), 1);
    const after = await lag();
    assert.equal(after['lag-a'], 0);
    assert.ok(after['lag-b']! >= 30, JSON.stringify(after));
    await drain();
  });

  it('gives every handler every event; a failing one gets them again and holds up no other', async () => {
    const good = probe('good');
    const bad = probe('bad');
    bad.failing = true;
    const c = consumer([good.handler, bad.handler]);
    await event('c1');
    await event('c2');
    assert.equal(await c.handOut(), 2);
    assert.equal(await prisma.domainEvent.count({ where: { processedAt: null } }), 0);

    await assert.rejects(c.handleOnce(bad.handler), /bad is broken/);
    assert.equal(await c.handleOnce(good.handler), 2);
    assert.deepEqual(good.seen, ['c1', 'c2']);
    assert.equal(await writtenBy('good'), 1);
    assert.equal(await writtenBy('bad'), 0, "the failed handler's writes were rolled back");

    // The good one has nothing left; the bad one is retried with the same events, in order.
    await event('c3');
    await c.handOut();
    assert.equal(await c.handleOnce(good.handler), 1);
    bad.failing = false;
    assert.equal(await c.handleOnce(bad.handler), 3);
    assert.deepEqual(bad.seen, ['c1', 'c2', 'c3']);
    assert.deepEqual(good.seen, ['c1', 'c2', 'c3']);
    assert.equal(await prisma.pendingDomainEvent.count(), 0);
  });

  it("lets the other handlers and a replica's loop go on while one handler's transaction is slow", async () => {
    const fast = probe('fast');
    const slow = probe('slow');
    let release = () => {};
    slow.hold = new Promise<void>((r) => (release = r));
    const c = consumer([fast.handler, slow.handler]);
    const replica = consumer([probe('fast').handler, slow.handler]);
    await event('s1');
    await c.handOut();
    const slowPass = c.handleOnce(slow.handler);
    // While the slow pass holds its rows, a replica skips them instead of waiting or doubling up.
    await eventually(
      () => slow.entered,
      (entered) => entered,
    );
    assert.equal(await replica.handleOnce(slow.handler), 0);
    await event('s2');
    await c.handOut();
    assert.equal(await c.handleOnce(fast.handler), 2);
    assert.deepEqual(fast.seen, ['s1', 's2']);
    assert.deepEqual(slow.seen, []);
    release();
    assert.equal(await slowPass, 1);
    assert.equal(await replica.handleOnce(slow.handler), 1);
    assert.deepEqual(slow.seen, ['s1', 's2']);
  });

  it('drains on its own once started, each handler in its own loop', async () => {
    const one = probe('loop-one');
    const two = probe('loop-two');
    two.failing = true;
    const c = consumer([one.handler, two.handler]);
    c.onApplicationBootstrap();
    try {
      await event('l1');
      c.poke();
      await eventually(
        () => one.seen,
        (s) => s.includes('l1'),
      );
      assert.deepEqual(two.seen, []);
      two.failing = false;
      await eventually(
        () => two.seen,
        (s) => s.includes('l1'),
      );
    } finally {
      await c.onModuleDestroy();
    }
  });

  it('wakes on NOTIFY of committed events long before its 30 s poll, and after its connection is killed', async () => {
    const p = probe('notify');
    const c = consumer([p.handler], { pollIntervalMs: 30_000 });
    assert.equal(c.pollIntervalMs, 30_000);
    c.onApplicationBootstrap();
    const listener = listenerFor(c);
    try {
      // Its first pass finds nothing; then only the 30 s poll would look again.
      await new Promise((r) => setTimeout(r, 300));
      await event('n0');
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(p.seen.length, 0, 'nothing wakes it without a listener');
      // Connecting wakes it once (what committed while nobody listened)...
      await listener.start();
      assert.ok(listener.listening);
      assert.ok((await handledWithin(p, 'n0', 2000)) < 2000);
      // ...and each commit that inserts events wakes it.
      await event('n1');
      const ms = await handledWithin(p, 'n1', 2000);
      assert.ok(ms < 1000, `handled ${ms} ms after the commit`);
      assert.ok(listener.notifications >= 1);

      // A rolled-back insert notifies no one.
      const before = listener.notifications;
      await assert.rejects(
        prisma.$transaction(async (tx) => {
          await recordDomainEvent(tx, organizationId, 'cluster.online', null, {
            clusterName: 'rolled-back',
            previousStatus: 'PENDING',
          });
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await event('n2');
      await handledWithin(p, 'n2', 2000);
      assert.equal(listener.notifications, before + 1, 'one notification: the committed event');
      assert.ok(!p.seen.includes('rolled-back'));

      // The LISTEN session is killed: the listener reconnects and notifications flow again.
      const pid = listener.backendPid;
      assert.ok(pid);
      await prisma.$queryRawUnsafe(`SELECT pg_terminate_backend(${Number(pid)})`);
      await eventually(
        () => listener.connects,
        (n) => n >= 2 && listener.listening,
        5000,
        20,
      );
      assert.notEqual(listener.backendPid, pid);
      await event('n3');
      const again = await handledWithin(p, 'n3', 2000);
      assert.ok(again < 1000, `handled ${again} ms after the commit once reconnected`);
    } finally {
      await listener.stop();
      await c.onModuleDestroy();
    }
  });

  it('still delivers by its poll when the notification is lost (no listener)', async () => {
    const p = probe('poll-only');
    const c = consumer([p.handler], { pollIntervalMs: 1500 });
    c.onApplicationBootstrap();
    try {
      await new Promise((r) => setTimeout(r, 200));
      await event('p1');
      const ms = await handledWithin(p, 'p1', 5000);
      assert.ok(ms <= 2500, `handled ${ms} ms after the commit by the 1.5 s poll`);
    } finally {
      await c.onModuleDestroy();
    }
  });
});
