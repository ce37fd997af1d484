import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulatedReleaseBundles } from './render-release';
import { bundleDigest, normalizeBundle, objectInventory } from './yaml-bundle';

const BUNDLE = `
# Source: linkerd-control-plane/templates/namespace.yaml
---
apiVersion: v1
kind: Namespace
metadata:
  name: linkerd
---
---
# an empty document above, a list below
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: linkerd-config, namespace: linkerd }
    data: { values: "linkerdVersion: edge-26.6.3" }
`;

describe('objectInventory', () => {
  it('lists kind, namespace and name, skipping comments and empty documents and flattening lists', () => {
    assert.deepEqual(objectInventory(BUNDLE), [
      { apiVersion: 'v1', kind: 'Namespace', namespace: null, name: 'linkerd' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'linkerd', name: 'linkerd-config' },
    ]);
  });

  it('rejects documents that are not Kubernetes objects', () => {
    assert.throws(
      () => objectInventory('kind: ConfigMap\nmetadata: {}\n'),
      /has no apiVersion, metadata\.name/,
    );
    assert.throws(() => objectInventory('a: [unclosed\n'), /not valid YAML/);
  });
});

describe('bundleDigest', () => {
  it('is a sha256 hex that ignores comments, spacing and empty documents', () => {
    const tidy = normalizeBundle(BUNDLE);
    assert.match(bundleDigest(BUNDLE), /^[0-9a-f]{64}$/);
    assert.equal(bundleDigest(BUNDLE), bundleDigest(tidy));
    assert.equal(bundleDigest(`# comment\n${tidy}\n---\n`), bundleDigest(BUNDLE));
  });

  it('changes when an object changes', () => {
    assert.notEqual(bundleDigest(BUNDLE), bundleDigest(BUNDLE.replace('edge-26.6.3', 'edge-26.8.3')));
  });

  it('matches the digest stored with a rendered bundle', () => {
    const b = simulatedReleaseBundles('enterprise-2.20.0', 'default');
    assert.equal(bundleDigest(b.controlPlane.yaml), b.controlPlane.digest);
    assert.equal(normalizeBundle(b.controlPlane.yaml), b.controlPlane.yaml);
    assert.deepEqual(objectInventory(b.crds.yaml), b.crds.inventory);
  });
});

describe('parsing hostile input', () => {
  it('reports an alias bomb as a bad document instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    assert.throws(() => objectInventory(levels.join('\n')), /document 1 cannot be read/);
  });
});
