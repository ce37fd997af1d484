import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { intOrPercent, templateHash } from './helpers';

describe('controller helpers', () => {
  it('hashes templates independent of key order, nulls and empty maps', () => {
    const a = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'i' }] } };
    const b = {
      spec: { containers: [{ image: 'i', name: 'x' }] },
      metadata: { creationTimestamp: null, annotations: {}, labels: { app: 'x' } },
    };
    assert.equal(templateHash(a), templateHash(b));
    assert.notEqual(
      templateHash(a),
      templateHash({ ...a, spec: { containers: [{ name: 'x', image: 'j' }] } }),
    );
  });
  it('resolves maxSurge up and maxUnavailable down from percentages', () => {
    assert.equal(intOrPercent('25%', 3, true, '25%'), 1);
    assert.equal(intOrPercent('25%', 3, false, '25%'), 0);
    assert.equal(intOrPercent(undefined, 8, false, '25%'), 2);
    assert.equal(intOrPercent(2, 8, false, '25%'), 2);
  });
});
