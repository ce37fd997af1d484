import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod, sha256Hex } from '../testing/cluster.fixture';
import { isTrustBundleStale } from './trust-bundle';

const BUNDLE = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

describe('isTrustBundleStale', () => {
  it('compares the proxy env with the bundle, ignoring surrounding whitespace', () => {
    assert.equal(
      isTrustBundleStale(pod({ ns: 'a', name: 'p', trustPem: `  ${BUNDLE.trim()}\r\n` }), BUNDLE),
      false,
    );
    assert.equal(isTrustBundleStale(pod({ ns: 'a', name: 'p', trustPem: 'old bundle' }), BUNDLE), true);
  });

  it('falls back to the trust-root-sha256 annotation', () => {
    assert.equal(isTrustBundleStale(pod({ ns: 'a', name: 'p', trustSha: sha256Hex(BUNDLE) }), BUNDLE), false);
    assert.equal(
      isTrustBundleStale(pod({ ns: 'a', name: 'p', trustSha: sha256Hex(BUNDLE.trim()) }), BUNDLE),
      false,
    );
    assert.equal(isTrustBundleStale(pod({ ns: 'a', name: 'p', trustSha: sha256Hex('old') }), BUNDLE), true);
  });

  it('cannot tell without either signal', () => {
    assert.equal(isTrustBundleStale(pod({ ns: 'a', name: 'p' }), BUNDLE), null);
  });
});
