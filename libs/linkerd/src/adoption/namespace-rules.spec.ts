import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthReport } from '@meshfleet/agent-protocol';
import { adoptionNamespaceFacts, namespaceRefusal } from './namespace-rules';

const code = (...args: Parameters<typeof namespaceRefusal>) => namespaceRefusal(...args)?.code ?? null;

describe('namespaceRefusal', () => {
  const facts = { controlPlaneNamespace: 'linkerd', knownNamespaces: ['shop', 'legacy'] };

  it('allows an application namespace the report lists', () => {
    assert.equal(namespaceRefusal('legacy', facts), null);
  });

  it('refuses system, control-plane and extension namespaces', () => {
    assert.equal(code('kube-system', facts), 'SYSTEM_NAMESPACE');
    assert.equal(code('kube-node-lease', facts), 'SYSTEM_NAMESPACE');
    assert.equal(code('linkerd', facts), 'CONTROL_PLANE_NAMESPACE');
    assert.equal(code('linkerd-viz', facts), 'EXTENSION_NAMESPACE');
    assert.equal(
      code('tracing', { ...facts, linkerdNamespaces: ['linkerd', 'tracing'] }),
      'EXTENSION_NAMESPACE',
    );
    assert.match(
      namespaceRefusal('kube-system', facts)!.message,
      /kube-system is a Kubernetes system namespace/,
    );
  });

  it('uses the reported control-plane namespace, not the default name', () => {
    const custom = { controlPlaneNamespace: 'mesh-system', knownNamespaces: ['linkerd'] };
    assert.equal(code('mesh-system', custom), 'CONTROL_PLANE_NAMESPACE');
    assert.equal(code('linkerd', custom), null);
  });

  it('refuses a namespace the report does not have; a truncated list lets a mutation through, not the plan', () => {
    assert.equal(code('nope', facts), 'UNKNOWN_NAMESPACE');
    const truncated = { ...facts, namespacesTruncated: true };
    assert.equal(code('nope', truncated), null);
    const r = namespaceRefusal('nope', truncated, { mustBeListed: true });
    assert.equal(r?.code, 'UNKNOWN_NAMESPACE');
    assert.match(r!.message, /only part of the namespaces/);
  });

  it('builds the same input from adoption facts or, from older agents, from the mTLS namespaces', () => {
    const report = {
      linkerd: { controlPlaneNamespace: 'linkerd' },
      mtls: { namespaces: [{ name: 'shop' }], namespacesTruncated: false },
      adoption: {
        linkerdNamespaces: ['linkerd', 'tracing'],
        namespaces: [{ name: 'shop' }, { name: 'empty' }],
        namespacesTruncated: false,
      },
    } as unknown as HealthReport;
    const withFacts = adoptionNamespaceFacts(report);
    assert.deepEqual(withFacts.knownNamespaces, ['shop', 'empty']);
    assert.equal(code('tracing', withFacts), 'EXTENSION_NAMESPACE');
    const old = adoptionNamespaceFacts({ ...report, adoption: null });
    assert.deepEqual(old.knownNamespaces, ['shop']);
    assert.equal(code('empty', old), 'UNKNOWN_NAMESPACE');
    assert.equal(code('linkerd-viz', old), 'EXTENSION_NAMESPACE');
  });
});
