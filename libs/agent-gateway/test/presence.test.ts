import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@meshfleet/config';
import { RedisService } from '@meshfleet/redis';
import { testRedisUrl, uniqueRedisPrefix } from '@meshfleet/testing';
import { PresenceService } from '../src/presence.service';

const settle = () => new Promise((r) => setTimeout(r, 250));

describe('presence', () => {
  let redis: RedisService;
  let presence: PresenceService;
  const key = () => redis.key('agents', 'last-seen');

  before(() => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgresql://unused@127.0.0.1:5432/unused',
      REDIS_URL: testRedisUrl(),
      MESHFLEET_REDIS_PREFIX: uniqueRedisPrefix(),
      MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: '1',
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
    });
    redis = new RedisService(config);
    presence = new PresenceService(redis, config);
  });
  after(async () => {
    await presence.onModuleDestroy();
    await redis.client.del(key());
    await redis.onModuleDestroy();
  });

  it('answers a recently confirmed cluster at once and writes its last-seen time behind', async () => {
    const t0 = Date.now();
    assert.equal(await presence.touch('c1', t0), true, 'first sign of life');
    assert.equal(await presence.touch('c1', t0 + 1000), false);
    await settle();
    assert.equal(await presence.lastSeen('c1'), t0 + 1000);
  });

  it('reports the next touch as a transition when a written-behind touch finds the cluster gone', async () => {
    const t0 = Date.now();
    assert.equal(await presence.touch('c2', t0), true);
    await redis.client.del(key()); // Redis lost its data
    assert.equal(await presence.touch('c2', t0 + 500), false, 'not known yet');
    await settle();
    assert.equal(await presence.touch('c2', t0 + 1000), true);
    assert.equal(await presence.touch('c2', t0 + 1500), false);
  });

  it('asks Redis again once the confirmation is older than two intervals (a sweep takes three)', async () => {
    const t0 = Date.now();
    assert.equal(await presence.touch('c3', t0), true);
    const swept = await presence.popStale(t0 + 1, 10);
    assert.ok(
      swept.some((s) => s.clusterId === 'c3'),
      'swept as silent',
    );
    assert.equal(await presence.touch('c3', t0 + 3500), true);
  });
});
