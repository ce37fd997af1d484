import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkIssuer, createIssuer, createTrustAnchor, validity } from './certs';
import { hasProxy, injectPod } from './proxy-spec';
import { linkerdMajor, usesNativeSidecar } from './versions';

describe('linkerd versions', () => {
  it('maps edge, enterprise and stable versions to majors', () => {
    assert.equal(linkerdMajor('edge-26.6.3'), 20);
    assert.equal(linkerdMajor('edge-26.6.2'), 19);
    assert.equal(linkerdMajor('edge-24.11.8'), 17);
    assert.equal(linkerdMajor('enterprise-2.19.4'), 19);
    assert.equal(linkerdMajor('stable-2.14.10'), 14);
    assert.equal(usesNativeSidecar('enterprise-2.20.0'), true);
    assert.equal(usesNativeSidecar('enterprise-2.19.4'), false);
  });
});

describe('issuer checks', () => {
  it('accepts an issuer signed by the anchor and rejects expired or foreign ones', async () => {
    const anchor = await createTrustAnchor(validity(365));
    const good = await createIssuer(anchor, validity(30));
    assert.equal(await checkIssuer(good.certPem, anchor.certPem), undefined);
    const old = await createIssuer(anchor, validity(10, 20));
    assert.equal(await checkIssuer(old.certPem, anchor.certPem), 'expired');
    const other = await createTrustAnchor(validity(365));
    assert.equal(await checkIssuer(good.certPem, other.certPem), 'not-signed-by-trust-roots');
    assert.equal(
      await checkIssuer(good.certPem, other.certPem + anchor.certPem),
      undefined,
      'a bundle with the right root passes',
    );
  });
});

describe('proxy injection', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: [{ name: 'app' }] },
  };
  const cfg = {
    version: 'v',
    controlPlaneNs: 'linkerd',
    trustAnchorsPem: 'PEM',
    trustDomain: 'cluster.local',
    nativeSidecar: false,
    cniEnabled: true,
  };
  it('puts the proxy first among containers without native sidecars and skips linkerd-init with CNI', () => {
    const out = injectPod(pod, cfg) as unknown as {
      spec: { containers: Array<{ name: string }>; initContainers: unknown[] };
    };
    assert.deepEqual(
      out.spec.containers.map((c) => c.name),
      ['linkerd-proxy', 'app'],
    );
    assert.deepEqual(out.spec.initContainers, []);
    assert.ok(hasProxy(out as never));
  });

  it("gives the proxy linkerd-config's proxy.resources, each overridden by the pod's annotation", () => {
    type Out = { spec: { containers: Array<{ name: string; resources?: unknown }> } };
    const ha = { cpu: { request: '100m', limit: '' }, memory: { request: '20Mi', limit: '250Mi' } };
    const proxyOf = (o: unknown) => (o as Out).spec.containers.find((c) => c.name === 'linkerd-proxy')!;
    assert.deepEqual(proxyOf(injectPod(pod, cfg, ha)).resources, {
      requests: { cpu: '100m', memory: '20Mi' },
      limits: { memory: '250Mi' },
    });
    const annotated = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: {
          'config.linkerd.io/proxy-memory-limit': '512Mi',
          'config.linkerd.io/proxy-cpu-limit': '1',
        },
      },
    };
    assert.deepEqual(proxyOf(injectPod(annotated, cfg, ha)).resources, {
      requests: { cpu: '100m', memory: '20Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    // The chart's defaults are all empty: no resources at all.
    const empty = { cpu: { request: '', limit: '' }, memory: { request: '', limit: '' } };
    assert.equal(proxyOf(injectPod(pod, cfg, empty)).resources, undefined);
  });
});
