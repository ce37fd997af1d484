import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareLinkerdVersions,
  isUpgradePathAllowed,
  majorsBetween,
  parseLinkerdVersion,
  type LinkerdVersion,
} from './linkerd-version';
import { compareKubernetesVersions, parseKubernetesVersion } from './kubernetes-version';

const v = (s: string): LinkerdVersion => {
  const parsed = parseLinkerdVersion(s);
  assert.ok(parsed, s);
  return parsed;
};

describe('parseLinkerdVersion', () => {
  it('parses every channel', () => {
    assert.deepEqual(
      [
        v('edge-26.6.3'),
        v('stable-2.14.10'),
        v('enterprise-2.20.0'),
        v('version-2.20.0'),
        v('preview-26.6.3'),
      ].map((x) => [x.channel, x.major]),
      [
        ['edge', 20],
        ['stable', 14],
        ['enterprise', 20],
        ['version', 20],
        ['preview', 20],
      ],
    );
    assert.equal(v('enterprise-2.17.0-1').hotpatch, 1);
    assert.deepEqual(v('version-2.19').parts, [2, 19, 0]);
  });

  it('maps edge releases to the major they belong to', () => {
    assert.equal(v('edge-25.10.6').major, 18);
    assert.equal(v('edge-25.10.7').major, 19);
    assert.equal(v('edge-26.8.3').major, 20);
    assert.equal(v('edge-23.1.1').major, null, 'older than the mapping table');
  });

  it('rejects non-release strings', () => {
    for (const bad of ['', 'latest', 'dev-abc123', 'edge-26.6', 'stable-3.1.0', 'v2.14.10', 'sha256:abc']) {
      assert.equal(parseLinkerdVersion(bad), null, bad);
    }
  });
});

describe('comparing versions', () => {
  it('orders within a numbering family', () => {
    assert.equal(compareLinkerdVersions(v('edge-26.6.3'), v('edge-26.8.3')), -1);
    assert.equal(compareLinkerdVersions(v('stable-2.14.10'), v('stable-2.14.9')), 1);
    assert.equal(compareLinkerdVersions(v('enterprise-2.17.0-1'), v('enterprise-2.17.0')), 1);
    assert.equal(compareLinkerdVersions(v('enterprise-2.20.0'), v('version-2.20.0')), 0);
  });

  it('compares across families by major only', () => {
    assert.equal(compareLinkerdVersions(v('edge-25.4.4'), v('enterprise-2.20.0')), -1);
    assert.equal(compareLinkerdVersions(v('edge-26.6.3'), v('enterprise-2.20.1')), null);
    assert.equal(majorsBetween(v('enterprise-2.20.0'), v('edge-25.4.4')), 2);
  });

  it('allows one major at a time and no downgrade across majors', () => {
    assert.equal(isUpgradePathAllowed(v('edge-25.10.7'), v('edge-26.8.3')), true);
    assert.equal(isUpgradePathAllowed(v('enterprise-2.18.3'), v('enterprise-2.20.0')), false);
    assert.equal(isUpgradePathAllowed(v('enterprise-2.20.0'), v('enterprise-2.19.8')), false);
    assert.equal(isUpgradePathAllowed(v('enterprise-2.19.1'), v('enterprise-2.19.8')), true);
  });
});

describe('Kubernetes versions', () => {
  it('parses provider suffixes', () => {
    assert.deepEqual(parseKubernetesVersion('v1.31.2-eks-7f9249a'), { major: 1, minor: 31, patch: 2 });
    assert.deepEqual(parseKubernetesVersion('v1.30.5+k3s1'), { major: 1, minor: 30, patch: 5 });
    assert.equal(parseKubernetesVersion('garbage'), null);
    assert.equal(
      compareKubernetesVersions(parseKubernetesVersion('1.9')!, parseKubernetesVersion('1.10')!),
      -1,
    );
  });
});
