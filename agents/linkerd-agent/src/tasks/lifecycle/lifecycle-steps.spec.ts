import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment } from '@kubernetes/client-node';
import { bundleDigest, simulatedReleaseBundles } from '@meshfleet/linkerd';
import { createIssuerRequest, certMatchesKey, createWebhookMaterial } from './agent-pki';
import { bundleObjects, bundleNamespace } from './bundle-objects';
import { pathDecision } from './precheck';
import { deploymentPending } from './rollout';
import { summarize } from './postcheck';

describe('lifecycle building blocks', () => {
  it('makes an ECDSA P-256 CSR for identity.linkerd.<trust domain>', async () => {
    const { csrPem, keyPem } = await createIssuerRequest('example.org');
    assert.match(csrPem, /BEGIN CERTIFICATE REQUEST/);
    assert.match(keyPem, /BEGIN PRIVATE KEY/);
    const x509 = await import('@peculiar/x509');
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    assert.equal(csr.subject, 'CN=identity.linkerd.example.org');
    assert.equal((csr.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
  });

  it('makes webhook serving certs whose keys match and which name the service', async () => {
    const m = await createWebhookMaterial('linkerd');
    assert.ok(await certMatchesKey(m.proxyInjector.certPem, m.proxyInjector.keyPem));
    assert.equal(await certMatchesKey(m.proxyInjector.certPem, m.spValidator.keyPem), false);
  });

  it('puts namespaced objects without a namespace into the control-plane namespace', () => {
    const objs = bundleObjects(
      'kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\nkind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: b}\n',
      'mesh',
    );
    assert.equal(objs[0]!.metadata.namespace, 'mesh');
    assert.equal(objs[1]!.metadata.namespace, undefined);
  });

  it('finds the namespace a simulated bundle installs into, and its digest is stable', () => {
    const b = simulatedReleaseBundles('enterprise-2.19.1', 'default');
    assert.equal(bundleNamespace(bundleObjects(b.controlPlane.yaml, 'x')), 'linkerd');
    assert.equal(bundleDigest(b.controlPlane.yaml), b.controlPlane.digest);
  });

  it('refuses a 2.20 install on Kubernetes 1.30 and a skipped major', () => {
    const k8s = pathDecision(null, 'enterprise-2.20.0', 'v1.30.2');
    assert.equal(k8s.allowed, false);
    const skip = pathDecision('enterprise-2.18.0', 'enterprise-2.20.0', 'v1.33.0');
    assert.ok(!skip.allowed && skip.code === 'SKIPS_MAJOR');
    const proxies = pathDecision('enterprise-2.19.1', 'enterprise-2.20.0', 'v1.33.0', ['enterprise-2.18.0']);
    assert.ok(!proxies.allowed && proxies.code === 'PROXY_TOO_OLD');
  });

  it('treats a Deployment as rolled only when every replica is new and available', () => {
    const d = (status: object, generation = 2) =>
      ({ metadata: { generation }, spec: { replicas: 2 }, status }) as unknown as V1Deployment;
    assert.match(deploymentPending(d({ observedGeneration: 1 }))!, /generation/);
    assert.match(
      deploymentPending(d({ observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 }))!,
      /old replicas/,
    );
    assert.equal(
      deploymentPending(d({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })),
      null,
    );
  });

  it('counts errors and warnings of a check run', () => {
    const s = summarize({
      success: false,
      categories: [
        {
          name: 'linkerd-identity',
          checks: [
            { description: 'issuer valid', result: 'error', error: 'expired', fatal: false },
            { description: 'anchor soon', result: 'warning', fatal: false },
            { description: 'ok', result: 'success', fatal: false },
          ],
        },
      ],
    });
    assert.deepEqual([s.errors, s.warnings], [1, 1]);
    assert.match(s.summary, /^3 checks: 1 errors, 1 warnings/);
  });
});
