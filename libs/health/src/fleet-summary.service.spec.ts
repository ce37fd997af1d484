import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ANCHOR_GROUP_NAMES, newestOf, trustAnchorGroups } from './fleet-summary.service';

describe('trustAnchorGroups', () => {
  it('merges bundles per anchor, counting a cluster mid-rotation in both groups once', () => {
    const groups = trustAnchorGroups([
      { fingerprints: ['aa'], subjects: ['CN=old'], count: 2, clusters: ['c-2', 'c-1'] },
      { fingerprints: ['aa', 'bb'], subjects: ['CN=old', 'CN=new'], count: 1, clusters: ['c-3'] },
      { fingerprints: ['bb', 'bb'], subjects: ['CN=new', 'CN=new'], count: 1, clusters: ['c-4'] },
      { fingerprints: ['cc'], subjects: ['CN=own'], count: 1, clusters: ['c-5'] },
    ]);
    assert.deepEqual(groups, [
      { sha256Fingerprint: 'aa', subject: 'CN=old', clusterCount: 3, clusters: ['c-1', 'c-2', 'c-3'] },
      { sha256Fingerprint: 'bb', subject: 'CN=new', clusterCount: 2, clusters: ['c-3', 'c-4'] },
      { sha256Fingerprint: 'cc', subject: 'CN=own', clusterCount: 1, clusters: ['c-5'] },
    ]);
  });

  it('lists at most 100 names of a large group, alphabetical, and counts all of its clusters', () => {
    const names = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `c-${String(from + i).padStart(4, '0')}`);
    // Two bundles sharing anchor aa, each already cut to a sample of names by the query.
    const groups = trustAnchorGroups([
      { fingerprints: ['aa'], subjects: ['CN=a'], count: 500, clusters: names(1000, ANCHOR_GROUP_NAMES) },
      {
        fingerprints: ['aa', 'bb'],
        subjects: ['CN=a', 'CN=b'],
        count: 300,
        clusters: names(0, ANCHOR_GROUP_NAMES),
      },
    ]);
    assert.equal(groups[0]!.clusterCount, 800);
    assert.deepEqual(groups[0]!.clusters, names(0, ANCHOR_GROUP_NAMES));
    assert.deepEqual([groups[1]!.sha256Fingerprint, groups[1]!.clusterCount], ['bb', 300]);
  });
});

describe('newestOf', () => {
  it('picks the newest release of the catalog', () => {
    assert.equal(newestOf(['edge-26.5.1', 'edge-26.6.3', 'not-a-version']), 'edge-26.6.3');
  });
});
