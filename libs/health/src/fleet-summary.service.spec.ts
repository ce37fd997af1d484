import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newestOf, trustAnchorGroups } from './fleet-summary.service';

describe('trustAnchorGroups', () => {
  it('merges bundles per anchor, counting a cluster mid-rotation in both groups once', () => {
    const groups = trustAnchorGroups([
      { fingerprints: ['aa'], subjects: ['CN=old'], clusters: ['c-2', 'c-1'] },
      { fingerprints: ['aa', 'bb'], subjects: ['CN=old', 'CN=new'], clusters: ['c-3'] },
      { fingerprints: ['bb', 'bb'], subjects: ['CN=new', 'CN=new'], clusters: ['c-4'] },
      { fingerprints: ['cc'], subjects: ['CN=own'], clusters: ['c-5'] },
    ]);
    assert.deepEqual(groups, [
      { sha256Fingerprint: 'aa', subject: 'CN=old', clusters: ['c-1', 'c-2', 'c-3'] },
      { sha256Fingerprint: 'bb', subject: 'CN=new', clusters: ['c-3', 'c-4'] },
      { sha256Fingerprint: 'cc', subject: 'CN=own', clusters: ['c-5'] },
    ]);
  });
});

describe('newestOf', () => {
  it('picks the newest release of the catalog', () => {
    assert.equal(newestOf(['edge-26.5.1', 'edge-26.6.3', 'not-a-version']), 'edge-26.6.3');
  });
});
