import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusedAdoptionNamespace } from './namespace-rules';

describe('refusedAdoptionNamespace', () => {
  const facts = { controlPlaneNamespace: 'linkerd', knownNamespaces: ['shop', 'legacy'] };

  it('allows an application namespace the report lists', () => {
    assert.equal(refusedAdoptionNamespace('legacy', facts), null);
  });

  it('refuses system, control-plane and extension namespaces', () => {
    assert.equal(refusedAdoptionNamespace('kube-system', facts), 'SYSTEM_NAMESPACE');
    assert.equal(refusedAdoptionNamespace('kube-node-lease', facts), 'SYSTEM_NAMESPACE');
    assert.equal(refusedAdoptionNamespace('linkerd', facts), 'CONTROL_PLANE_NAMESPACE');
    assert.equal(refusedAdoptionNamespace('linkerd-viz', facts), 'EXTENSION_NAMESPACE');
    assert.equal(
      refusedAdoptionNamespace('tracing', { ...facts, extensionNamespaces: ['tracing'] }),
      'EXTENSION_NAMESPACE',
    );
  });

  it('uses the reported control-plane namespace, not the default name', () => {
    const custom = { controlPlaneNamespace: 'mesh-system', knownNamespaces: ['linkerd'] };
    assert.equal(refusedAdoptionNamespace('mesh-system', custom), 'CONTROL_PLANE_NAMESPACE');
    assert.equal(refusedAdoptionNamespace('linkerd', custom), null);
  });

  it('refuses a namespace the report does not have, unless the report was truncated', () => {
    assert.equal(refusedAdoptionNamespace('nope', facts), 'UNKNOWN_NAMESPACE');
    assert.equal(refusedAdoptionNamespace('nope', { ...facts, namespacesTruncated: true }), null);
  });
});
