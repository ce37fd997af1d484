import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dns1123LabelError, labelKeyError, labelValueError } from './validation';

describe('Kubernetes name rules', () => {
  it('accepts DNS-1123 labels and rejects others', () => {
    assert.equal(dns1123LabelError('prod-eu-1'), null);
    for (const bad of ['', 'Prod', '-a', 'a-', 'a_b', 'a.b', 'x'.repeat(64)])
      assert.notEqual(dns1123LabelError(bad), null, bad);
  });

  it('checks label keys with optional prefixes', () => {
    assert.equal(labelKeyError('app.kubernetes.io/name'), null);
    assert.equal(labelKeyError('env'), null);
    for (const bad of ['', '/x', 'a/b/c', 'UPPER.example/x', 'x'.repeat(64), '-x'])
      assert.notEqual(labelKeyError(bad), null, bad);
  });

  it('allows empty label values but not bad characters', () => {
    assert.equal(labelValueError(''), null);
    assert.equal(labelValueError('v1.2_3-a'), null);
    assert.notEqual(labelValueError('has space'), null);
    assert.notEqual(labelValueError('x'.repeat(64)), null);
  });
});
