import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { stripPod } from './strip-objects';

describe('stripPod', () => {
  const pod: V1Pod = {
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      labels: { app: 'web' },
      annotations: { 'linkerd.io/proxy-version': 'edge-24.1.1', 'example.com/owner': 'team-a' },
      managedFields: [
        { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } },
      ],
    },
    spec: {
      initContainers: [
        {
          name: 'linkerd-proxy',
          image: 'cr.l5d.io/linkerd/proxy:edge-24.1.1',
          env: [
            { name: 'LINKERD2_PROXY_LOG', value: 'warn' },
            { name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: 'pem' },
            { name: '_pod_ns', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          readinessProbe: { httpGet: { path: '/ready', port: 4191 } },
        },
      ],
      containers: [
        {
          name: 'web',
          env: [{ name: 'DATABASE_URL', value: 'postgres://db' }],
          ports: [{ containerPort: 8080 }],
        },
      ],
    },
    status: { phase: 'Running', podIP: '10.0.0.7' },
  };

  it('drops managedFields and keeps everything the checks read', () => {
    const s = stripPod(pod);
    assert.equal(s.metadata?.managedFields, undefined);
    assert.ok(!('managedFields' in (s.metadata ?? {})));
    assert.deepEqual(s.metadata?.annotations, pod.metadata?.annotations);
    assert.deepEqual(s.metadata?.labels, { app: 'web' });
    assert.deepEqual(s.status, pod.status);
  });

  it("keeps of the containers' env only the proxy's trust anchors", () => {
    const s = stripPod(pod);
    const [proxy] = s.spec?.initContainers ?? [];
    assert.deepEqual(proxy, {
      ...pod.spec!.initContainers![0],
      env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: 'pem' }],
    });
    assert.deepEqual(s.spec?.containers, [{ name: 'web', ports: [{ containerPort: 8080 }] }]);
    assert.equal(pod.spec?.containers[0]?.env?.length, 1, 'the input is not mutated');
  });

  it('leaves the cached input untouched and passes a pod without managedFields through', () => {
    stripPod(pod);
    assert.equal(pod.metadata?.managedFields?.length, 1, 'the input is not mutated');
    const bare: V1Pod = { metadata: { name: 'x', namespace: 'y' } };
    assert.equal(stripPod(bare), bare);
  });
});
