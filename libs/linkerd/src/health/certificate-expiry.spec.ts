import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { certificateExpiryByRole } from './certificate-expiry';

describe('certificateExpiryByRole', () => {
  const base = exampleHealthReport().certificates[0]!;
  const cert = (role: 'trust-anchor' | 'issuer' | 'webhook', notAfter: string) => ({
    ...base,
    role,
    notAfter,
  });

  it('keeps the soonest notAfter of each role, in UTC', () => {
    const r = certificateExpiryByRole([
      cert('webhook', '2027-03-01T00:00:00Z'),
      cert('webhook', '2027-01-15T12:00:00+02:00'),
      cert('issuer', '2027-06-01T00:00:00.000Z'),
      cert('trust-anchor', '2035-01-01T00:00:00Z'),
    ]);
    assert.deepEqual(r, {
      webhook: '2027-01-15T10:00:00.000Z',
      issuer: '2027-06-01T00:00:00.000Z',
      'trust-anchor': '2035-01-01T00:00:00.000Z',
    });
  });

  it('names only the roles the inventory has', () => {
    assert.deepEqual(certificateExpiryByRole([cert('issuer', '2027-06-01T00:00:00Z')]), {
      issuer: '2027-06-01T00:00:00.000Z',
    });
    assert.deepEqual(certificateExpiryByRole([]), {});
  });
});
