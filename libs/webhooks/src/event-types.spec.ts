import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesEventType, validateEventTypes } from './event-types';
import { endpointWants } from './webhook-fanout';

describe('webhook event types', () => {
  it('matches exact types and family wildcards', () => {
    assert.equal(matchesEventType(['alert.firing'], 'alert.firing'), true);
    assert.equal(matchesEventType(['alert.firing'], 'alert.resolved'), false);
    assert.equal(matchesEventType(['operation.*'], 'operation.failed'), true);
    assert.equal(matchesEventType(['operation.*'], 'rollout.failed'), false);
    assert.equal(matchesEventType(['*'], 'cluster.offline'), true);
  });

  it('refuses patterns that match no event', () => {
    assert.deepEqual(validateEventTypes(['rollout.*', 'alert.firing']), ['rollout.*', 'alert.firing']);
    assert.throws(() => validateEventTypes(['cluster.health_changed']), /matches no event/);
    assert.throws(() => validateEventTypes(['nope.*']), /matches no event/);
    assert.throws(() => validateEventTypes([]), /at least one/);
  });

  it('applies the cluster selector to cluster events only', () => {
    const ep = { eventTypes: ['*'], clusterSelector: 'env=prod' };
    assert.equal(endpointWants(ep, 'alert.firing', { env: 'prod' }), true);
    assert.equal(endpointWants(ep, 'alert.firing', { env: 'dev' }), false);
    assert.equal(endpointWants(ep, 'rollout.paused', null), true);
  });
});
