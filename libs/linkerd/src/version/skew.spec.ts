import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { versionSkew } from './skew';

describe('versionSkew', () => {
  it('is none when every proxy runs the control-plane version', () => {
    const s = versionSkew('edge-26.6.3', [{ version: 'edge-26.6.3', count: 9 }]);
    assert.equal(s.status, 'none');
    assert.equal(s.maxMajorsBehind, 0);
  });

  it('tolerates proxies one major behind', () => {
    const s = versionSkew('edge-26.6.3', [
      { version: 'edge-26.6.3', count: 3 },
      { version: 'edge-25.10.7', count: 2 },
    ]);
    assert.deepEqual(
      [s.status, s.maxMajorsBehind, s.oldestProxy, s.newestProxy],
      ['within-support', 1, 'edge-25.10.7', 'edge-26.6.3'],
    );
  });

  it('flags more than one major behind, or proxies ahead of the control plane', () => {
    assert.equal(
      versionSkew('enterprise-2.20.0', [{ version: 'enterprise-2.18.3', count: 1 }]).status,
      'unsupported',
    );
    assert.equal(
      versionSkew('enterprise-2.19.0', [{ version: 'enterprise-2.20.0', count: 1 }]).status,
      'unsupported',
    );
  });

  it('is unknown without a control plane or comparable proxies', () => {
    assert.equal(versionSkew(null, [{ version: 'edge-26.6.3', count: 1 }]).status, 'unknown');
    assert.equal(versionSkew('edge-26.6.3', [{ version: 'unknown', count: 4 }]).status, 'unknown');
  });
});
