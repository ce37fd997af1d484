import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CertificateInventorySchema } from '@meshfleet/agent-protocol';
import { healthyCluster, issuerSecret, NOW, withSecret } from '../testing/cluster.fixture';
import { makeCert, makePki, type TestPki } from '../testing/pki.fixture';
import { certificateInventory } from './inventory';
import { parseCertificateBundle } from './certificate';

describe('certificateInventory', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('lists anchors, issuer and webhook certs with their public facts', async () => {
    const inv = await certificateInventory(healthyCluster(pki));
    assert.equal(CertificateInventorySchema.safeParse(inv).success, true);
    assert.deepEqual(
      inv.map((c) => [c.role, c.name]),
      [
        ['trust-anchor', 'root.linkerd.cluster.local'],
        ['issuer', 'identity.linkerd.cluster.local'],
        ['webhook', 'proxy-injector'],
        ['webhook', 'sp-validator'],
        ['webhook', 'policy-validator'],
      ],
    );
    const issuer = inv[1]!;
    assert.equal(issuer.chainsToAnchors, true);
    assert.equal(issuer.keyAlgorithm, 'ECDSA P-256');
    assert.equal(issuer.signatureAlgorithm, 'ECDSA SHA-256');
    assert.equal(issuer.isCA, true);
    assert.equal(issuer.subject, 'CN=identity.linkerd.cluster.local');
    assert.equal(issuer.issuer, 'CN=root.linkerd.cluster.local');
    assert.equal(issuer.notAfter, pki.issuer.cert.notAfter.toISOString());
    assert.deepEqual(issuer.source, {
      kind: 'Secret',
      namespace: 'linkerd',
      name: 'linkerd-identity-issuer',
      key: 'crt.pem',
    });
    const der = new Uint8Array(pki.issuer.cert.rawData);
    assert.equal(issuer.sha256Fingerprint, createHash('sha256').update(der).digest('hex'));
    assert.deepEqual(inv[2]!.dnsNames, ['linkerd-proxy-injector.linkerd.svc']);
  });

  it('never outputs key material', async () => {
    const json = JSON.stringify(await certificateInventory(healthyCluster(pki)));
    assert.doesNotMatch(json, /PRIVATE|MUST-NOT-LEAK/);
  });

  it('reads every PEM of a bundle of anchors (rotation in progress)', async () => {
    const newRoot = await makeCert({ cn: 'root-2026.linkerd.cluster.local', now: NOW });
    const s = healthyCluster(pki);
    s.configMaps[1]!.data!['ca-bundle.crt'] = `${pki.anchor.pem}\n${newRoot.pem}\n`;
    const inv = await certificateInventory(s);
    assert.deepEqual(
      inv.filter((c) => c.role === 'trust-anchor').map((c) => c.name),
      ['root.linkerd.cluster.local', 'root-2026.linkerd.cluster.local'],
    );
    assert.equal(inv.find((c) => c.role === 'issuer')?.chainsToAnchors, true);
  });

  it('marks an issuer from another root as not chaining to the anchors', async () => {
    const otherRoot = await makeCert({ cn: 'root.other', now: NOW });
    const foreign = await makeCert({ cn: 'identity.linkerd.cluster.local', now: NOW, signer: otherRoot });
    const inv = await certificateInventory(withSecret(healthyCluster(pki), issuerSecret(foreign.pem)));
    assert.equal(inv.find((c) => c.role === 'issuer')?.chainsToAnchors, false);
  });

  it('is empty when Linkerd is not installed', async () => {
    assert.deepEqual(await certificateInventory({ ...healthyCluster(pki), configMaps: [], secrets: [] }), []);
  });

  it('reports a broken PEM block as an error instead of throwing', () => {
    const r = parseCertificateBundle('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----');
    assert.equal(r.certificates.length, 0);
    assert.match(r.errors[0] ?? '', /^certificate #1/);
    assert.deepEqual(parseCertificateBundle('').errors, ['no PEM certificate found']);
  });
});
