import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabels, parseLabelSelector } from './label-selector';
import { ValidationError } from './errors';

describe('parseLabelSelector', () => {
  it('parses equality, inequality, set and existence terms', () => {
    assert.deepEqual(parseLabelSelector('env=prod,tier!=edge, team in (a, b),!legacy,gpu'), [
      { key: 'env', op: 'Equals', value: 'prod' },
      { key: 'tier', op: 'NotEquals', value: 'edge' },
      { key: 'team', op: 'In', values: ['a', 'b'] },
      { key: 'legacy', op: 'DoesNotExist' },
      { key: 'gpu', op: 'Exists' },
    ]);
  });

  it('accepts == and notin and prefixed keys', () => {
    assert.deepEqual(parseLabelSelector('example.com/owner==me,zone notin (x)'), [
      { key: 'example.com/owner', op: 'Equals', value: 'me' },
      { key: 'zone', op: 'NotIn', values: ['x'] },
    ]);
  });

  it('rejects malformed selectors with a field', () => {
    for (const bad of ['env=prod,', 'team in (a', 'a b c', 'team in ()', 'Bad Key=1', 'k=-bad-']) {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: unknown) => e instanceof ValidationError && e.details.field === 'labelSelector',
        bad,
      );
    }
  });
});

describe('matchesLabels', () => {
  it('follows Kubernetes semantics for missing keys', () => {
    const reqs = parseLabelSelector('tier!=edge,team notin (x)');
    assert.equal(matchesLabels(reqs, {}), true);
    assert.equal(matchesLabels(reqs, { tier: 'edge' }), false);
    assert.equal(matchesLabels(parseLabelSelector('team in (a)'), {}), false);
  });
});
