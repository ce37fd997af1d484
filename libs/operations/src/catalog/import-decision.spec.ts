import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { importDecision } from './import-decision';

const A = { crdsDigest: 'c1', controlPlaneDigest: 'p1' };

describe('importDecision', () => {
  it('creates a variant that is not stored yet', () => {
    assert.equal(importDecision(null, A, false), 'create');
  });
  it('is an idempotent success for the same digests, with or without replace', () => {
    assert.equal(importDecision(A, { ...A }, false), 'unchanged');
    assert.equal(importDecision(A, { ...A }, true), 'unchanged');
  });
  it('refuses other manifests for a stored variant unless replace is given', () => {
    for (const other of [
      { ...A, controlPlaneDigest: 'p2' },
      { ...A, crdsDigest: 'c2' },
    ]) {
      assert.equal(importDecision(A, other, false), 'conflict');
      assert.equal(importDecision(A, other, true), 'replace');
    }
  });
});
