import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { healthSignature, type HealthInputs } from './health-signature';

const pod = (namespace: string, name: string, ready: boolean, restarts = 0, rv = '1'): k8s.V1Pod => ({
  metadata: { namespace, name, resourceVersion: rv },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [
      {
        name: 'app',
        image: 'x',
        imageID: 'x',
        ready,
        restartCount: restarts,
        state: ready ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  },
});
const inputs = (over: Partial<HealthInputs> = {}): HealthInputs => ({
  pods: [pod('linkerd', 'destination-1', true), pod('shop', 'web-1', true)],
  deployments: [],
  secrets: [{ metadata: { namespace: 'linkerd', name: 'linkerd-identity-issuer', resourceVersion: '5' } }],
  configMaps: [],
  mutatingWebhooks: [],
  validatingWebhooks: [],
  ...over,
});

describe('healthSignature', () => {
  const base = healthSignature(inputs(), 'linkerd');

  it('changes when a control-plane pod stops being ready or restarts', () => {
    const notReady = inputs({ pods: [pod('linkerd', 'destination-1', false), pod('shop', 'web-1', true)] });
    assert.notEqual(healthSignature(notReady, 'linkerd'), base);
    const restarted = inputs({
      pods: [pod('linkerd', 'destination-1', true, 1), pod('shop', 'web-1', true)],
    });
    assert.notEqual(healthSignature(restarted, 'linkerd'), base);
  });

  it('changes when the issuer Secret is written', () => {
    const rewritten = inputs({
      secrets: [
        { metadata: { namespace: 'linkerd', name: 'linkerd-identity-issuer', resourceVersion: '6' } },
      ],
    });
    assert.notEqual(healthSignature(rewritten, 'linkerd'), base);
  });

  it('ignores pods outside the control plane and a control-plane pod written without a state change', () => {
    const elsewhere = inputs({
      pods: [
        pod('linkerd', 'destination-1', true, 0, '9'),
        pod('shop', 'web-1', false, 3),
        pod('shop', 'web-2', true),
      ],
    });
    assert.equal(healthSignature(elsewhere, 'linkerd'), base);
  });
});
