import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { parseLinkerdConfig } from '../cluster/linkerd-config';
import { PlaceholderError } from './catalog.errors';
import { fillPlaceholders, IDENTITY_PLACEHOLDERS, placeholdersIn } from './placeholders';
import { renderSimulatedRelease } from './render-release';
import { FAKE_IDENTITY } from './testing/real-render.fixture';
import { parseBundleDocuments, type KubeObject } from './yaml-bundle';

const find = (yaml: string, kind: string, name: string): any =>
  (parseBundleDocuments(yaml).objects as KubeObject[]).find(
    (o) => o.kind === kind && o.metadata.name === name,
  );

describe('placeholdersIn', () => {
  it('lists every token once, with or without an encoding, known or not', () => {
    const yaml =
      'a: "{{meshfleet.issuerCertPEM|base64}}"\nb: "{{ meshfleet.issuerCertPEM }}"\nc: "{{meshfleet.typo}}"\n';
    assert.deepEqual(placeholdersIn(yaml), ['issuerCertPEM', 'typo']);
  });

  it('finds every identity placeholder in a simulated control plane', () => {
    const cp = renderSimulatedRelease('edge-26.6.3', 'default').controlPlane;
    assert.deepEqual(placeholdersIn(cp), Object.keys(IDENTITY_PLACEHOLDERS).sort());
  });
});

describe('fillPlaceholders', () => {
  const cp = renderSimulatedRelease('edge-26.6.3', 'ha').controlPlane;
  const filled = fillPlaceholders(cp, FAKE_IDENTITY);

  it('puts PEM text where a PEM belongs and base64 where Kubernetes wants it', () => {
    assert.deepEqual(placeholdersIn(filled), []);
    const roots = find(filled, 'ConfigMap', 'linkerd-identity-trust-roots');
    assert.equal(roots.data['ca-bundle.crt'], FAKE_IDENTITY.trustAnchorsPEM);
    const issuer = find(filled, 'Secret', 'linkerd-identity-issuer');
    assert.equal(Buffer.from(issuer.data['key.pem'], 'base64').toString(), FAKE_IDENTITY.issuerKeyPEM);
    const mwc = find(filled, 'MutatingWebhookConfiguration', 'linkerd-proxy-injector-webhook-config');
    assert.equal(
      Buffer.from(mwc.webhooks[0].clientConfig.caBundle, 'base64').toString(),
      FAKE_IDENTITY.webhookCaPEM,
    );
  });

  it('keeps the embedded linkerd-config values valid YAML with multi-line PEMs', () => {
    const config = find(filled, 'ConfigMap', 'linkerd-config');
    const parsed = parseLinkerdConfig(config);
    assert.ok(parsed.ok);
    assert.equal(parsed.values.identityTrustAnchorsPEM?.trim(), FAKE_IDENTITY.trustAnchorsPEM.trim());
    const values = parse(config.data.values);
    assert.equal(values.identity.issuer.tls.crtPEM.trim(), FAKE_IDENTITY.issuerCertPEM.trim());
    assert.equal(values.identityTrustDomain, 'cluster.local');
  });

  it('stamps the trust-root hash and the trust domain into pod templates', () => {
    const identity = find(filled, 'Deployment', 'linkerd-identity');
    const expected = createHash('sha256').update(FAKE_IDENTITY.trustAnchorsPEM).digest('hex');
    assert.equal(identity.spec.template.metadata.annotations['linkerd.io/trust-root-sha256'], expected);
    assert.ok(
      identity.spec.template.spec.containers[0].args.includes('-identity-trust-domain=cluster.local'),
    );
  });

  it('rejects a bundle when a value is missing, naming it', () => {
    const { issuerKeyPEM: _omitted, ...partial } = FAKE_IDENTITY;
    assert.throws(
      () => fillPlaceholders(cp, partial),
      (e: unknown) =>
        e instanceof PlaceholderError &&
        e.placeholders.includes('issuerKeyPEM') &&
        /No value for placeholders: issuerKeyPEM/.test(e.message),
    );
    assert.throws(() => fillPlaceholders(cp, { ...FAKE_IDENTITY, trustDomain: '' }), /trustDomain/);
  });

  it('rejects unknown placeholders in the bundle or in the values', () => {
    assert.throws(
      () => fillPlaceholders('a: "{{meshfleet.issuerKey}}"\n', FAKE_IDENTITY),
      /Unknown placeholders: issuerKey/,
    );
    assert.throws(
      () => fillPlaceholders('a: b\n', { ...FAKE_IDENTITY, trustAnchorPem: 'x' } as never),
      /Unknown placeholders: trustAnchorPem/,
    );
    assert.throws(
      () => fillPlaceholders('a: "{{meshfleet.trustDomain|base32}}"\n', FAKE_IDENTITY),
      /Unknown placeholder encodings: base32/,
    );
  });

  it('leaves a bundle without placeholders unchanged apart from normalization', () => {
    const crds = renderSimulatedRelease('edge-26.6.3', 'ha').crds;
    assert.equal(fillPlaceholders(crds, {}), crds);
  });
});
