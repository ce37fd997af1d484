import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANCHOR_GROUP_NAMES,
  newestOf,
  trustAnchorGroups,
  vizPrometheusWarnings,
} from './fleet-summary.service';

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

describe('vizPrometheusWarnings', () => {
  const MiB = 1024 * 1024;
  const row = (
    name: string,
    meshedPods: number,
    p: { mem?: number; limit?: number; retention?: string },
  ) => ({
    id: `id-${name}`,
    name,
    meshedPods,
    prometheus: { pods: 1, mem: p.mem ?? null, limit: p.limit ?? null, retention: p.retention ?? null },
  });

  it('lists the clusters beyond the sizing with their figures, the largest overrun first', () => {
    const w = vizPrometheusWarnings([
      row('fine', 100, { mem: 600 * MiB, retention: '6h' }),
      row('big', 10, { mem: 400 * MiB }),
      row('tight', 100, { mem: 100 * MiB, limit: 256 * MiB }),
      row('long', 100, { retention: '7d' }),
    ]);
    assert.deepEqual(
      w.map((x) => [x.clusterName, x.reasons]),
      [
        ['big', ['MEMORY_ABOVE_SIZING']],
        ['tight', ['LIMIT_BELOW_SIZING']],
        ['long', ['RETENTION_ABOVE_SIZING']],
      ],
    );
    assert.equal(w[0]!.sizingBytes, 50 * MiB);
    assert.equal(w[0]!.memoryBytes, 400 * MiB);
    assert.match(w[0]!.message, /uses 400 MiB, above 1\.5 × the 50 MiB its 10 meshed pods call for/);
    assert.match(w[1]!.message, /256 MiB memory limit, below the 500 MiB/);
    assert.match(w[2]!.message, /keeps 7d of data; the sizing assumes 6h/);
  });
});
