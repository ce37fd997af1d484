import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { ReleaseImportError } from './catalog.errors';
import { importRenderedRelease, type ImportReleaseInput } from './import-release';
import { simulatedReleaseBundles } from './render-release';
import { FAKE_IDENTITY, FAKE_PEM_LINES, realRender } from './testing/real-render.fixture';
import { parseBundleDocuments, stringifyObjects, type KubeObject } from './yaml-bundle';

const input = (version = 'enterprise-2.19.0', variant: 'default' | 'ha' = 'ha'): ImportReleaseInput => ({
  version,
  variant,
  ...realRender(version, variant),
});

/** Edits the parsed control plane of an input and re-emits it. */
function editControlPlane(base: ImportReleaseInput, edit: (objects: any[]) => void): ImportReleaseInput {
  const objects = parseBundleDocuments(base.controlPlaneYaml).objects as any[];
  edit(objects);
  return { ...base, controlPlaneYaml: stringifyObjects(objects) };
}

const find = (objects: any[], kind: string, name: string): any =>
  objects.find((o: KubeObject) => o.kind === kind && o.metadata.name === name);

function rejection(i: ImportReleaseInput): string[] {
  try {
    importRenderedRelease(i);
  } catch (e) {
    assert.ok(e instanceof ReleaseImportError, String(e));
    return e.reasons;
  }
  assert.fail('the import was accepted');
}

function assertNoKeyMaterial(yaml: string): void {
  assert.doesNotMatch(yaml, /-----BEGIN|PRIVATE KEY|LS0tLS1CRUdJTi/);
  for (const line of FAKE_PEM_LINES) assert.ok(!yaml.includes(line), 'a fake PEM body survived the import');
}

describe('importRenderedRelease', () => {
  it('replaces every piece of identity material by a placeholder', () => {
    const imported = importRenderedRelease(input());
    assertNoKeyMaterial(imported.controlPlane.yaml);
    assertNoKeyMaterial(imported.crds.yaml);
    const objects = parseBundleDocuments(imported.controlPlane.yaml).objects as any[];
    assert.equal(
      find(objects, 'ConfigMap', 'linkerd-identity-trust-roots').data['ca-bundle.crt'],
      '{{meshfleet.trustAnchorsPEM}}',
    );
    assert.deepEqual(find(objects, 'Secret', 'linkerd-identity-issuer').data, {
      'crt.pem': '{{meshfleet.issuerCertPEM|base64}}',
      'key.pem': '{{meshfleet.issuerKeyPEM|base64}}',
    });
    assert.equal(
      find(objects, 'Secret', 'linkerd-sp-validator-k8s-tls').data['tls.key'],
      '{{meshfleet.spValidatorKeyPEM|base64}}',
    );
    const vwc = find(objects, 'ValidatingWebhookConfiguration', 'linkerd-policy-validator-webhook-config');
    assert.equal(vwc.webhooks[0].clientConfig.caBundle, '{{meshfleet.webhookCaPEM|base64}}');
    const values = parse(find(objects, 'ConfigMap', 'linkerd-config').data.values);
    assert.equal(values.identityTrustAnchorsPEM, '{{meshfleet.trustAnchorsPEM}}');
    assert.equal(values.identity.issuer.tls.crtPEM, '{{meshfleet.issuerCertPEM}}');
    assert.ok(imported.placeholders.includes('issuerKeyPEM'));
  });

  it('returns the detected version, release facts and inventory', () => {
    const imported = importRenderedRelease(input());
    assert.equal(imported.linkerdVersion, 'enterprise-2.19.0');
    assert.deepEqual(imported.release, {
      version: 'enterprise-2.19.0',
      major: 19,
      channel: 'enterprise',
      kubernetesMin: '1.23',
      kubernetesMax: '1.35',
      simulated: false,
    });
    assert.ok(
      imported.controlPlane.inventory.some(
        (i) => i.kind === 'Deployment' && i.namespace === 'linkerd' && i.name === 'linkerd-destination',
      ),
    );
    assert.ok(imported.crds.inventory.every((i) => i.kind === 'CustomResourceDefinition'));
  });

  it('gives the same digest for the same release whatever identity it was rendered with', () => {
    const a = importRenderedRelease(input('edge-26.6.3', 'default'));
    const other = {
      ...FAKE_IDENTITY,
      issuerKeyPEM: FAKE_IDENTITY.spValidatorKeyPEM,
      trustAnchorsPEM: FAKE_IDENTITY.webhookCaPEM,
    };
    const b = importRenderedRelease({
      version: 'edge-26.6.3',
      variant: 'default',
      ...realRender('edge-26.6.3', 'default', other),
    });
    assert.equal(a.controlPlane.digest, b.controlPlane.digest);
    assert.equal(a.crds.digest, importRenderedRelease(input('edge-26.6.3', 'default')).crds.digest);
    assert.match(a.controlPlane.digest, /^[0-9a-f]{64}$/);
  });

  it('turns a filled simulated render back into the simulated bundle', () => {
    const imported = importRenderedRelease(input('edge-25.4.4', 'ha'));
    const simulated = simulatedReleaseBundles('edge-25.4.4', 'ha');
    assert.equal(imported.controlPlane.digest, simulated.controlPlane.digest);
    assert.equal(imported.crds.digest, simulated.crds.digest);
    const again = importRenderedRelease({
      version: 'edge-25.4.4',
      variant: 'ha',
      crdsYaml: simulated.crds.yaml,
      controlPlaneYaml: simulated.controlPlane.yaml,
    });
    assert.equal(again.controlPlane.yaml, simulated.controlPlane.yaml, 'importing is idempotent');
  });

  it('makes the trust domain a placeholder but keeps DNS names', () => {
    const rendered = realRender('edge-26.8.3', 'default', { ...FAKE_IDENTITY, trustDomain: 'example.org' });
    const imported = importRenderedRelease({ version: 'edge-26.8.3', variant: 'default', ...rendered });
    assert.ok(!imported.controlPlane.yaml.includes('example.org'));
    assert.match(
      imported.controlPlane.yaml,
      /serviceaccount\.identity\.linkerd\.\{\{meshfleet\.trustDomain\}\}/,
    );
    assert.match(imported.controlPlane.yaml, /linkerd-dst-headless\.linkerd\.svc\.cluster\.local/);
  });

  it('drops private keys from chart values and replaces inline trust anchors', () => {
    const tampered = editControlPlane(input(), (objects) => {
      const config = find(objects, 'ConfigMap', 'linkerd-config');
      const values = parse(config.data.values);
      values.identity.issuer.tls.keyPEM = FAKE_IDENTITY.issuerKeyPEM;
      values.proxyInjector = {
        crtPEM: FAKE_IDENTITY.proxyInjectorCertPEM,
        keyPEM: FAKE_IDENTITY.proxyInjectorKeyPEM,
      };
      config.data.values = stringify(values);
      const proxy = find(objects, 'Deployment', 'linkerd-identity').spec.template.spec.containers[0];
      proxy.env = [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: FAKE_IDENTITY.trustAnchorsPEM }];
    });
    const imported = importRenderedRelease(tampered);
    assertNoKeyMaterial(imported.controlPlane.yaml);
    const values = parse(
      find(parseBundleDocuments(imported.controlPlane.yaml).objects as any[], 'ConfigMap', 'linkerd-config')
        .data.values,
    );
    assert.equal(values.identity.issuer.tls.keyPEM, undefined);
    assert.deepEqual(values.proxyInjector, { crtPEM: '{{meshfleet.proxyInjectorCertPEM}}' });
  });

  it('keeps the digest of a real render independent of its generated certificates', () => {
    const withChecksums = (identity: typeof FAKE_IDENTITY) =>
      editControlPlane({ ...input(), ...realRender('enterprise-2.19.0', 'ha', identity) }, (objects) => {
        const pod = find(objects, 'Deployment', 'linkerd-proxy-injector').spec.template;
        pod.metadata.annotations['checksum/config'] = createHash('sha256')
          .update(identity.proxyInjectorCertPEM)
          .digest('hex');
        find(objects, 'Secret', 'linkerd-identity-issuer').metadata.annotations[
          'linkerd.io/identity-issuer-expiry'
        ] = identity.issuerCertPEM.length % 2 ? '2027-01-01T00:00:00Z' : '2028-01-01T00:00:00Z';
      });
    const a = importRenderedRelease(withChecksums(FAKE_IDENTITY));
    const b = importRenderedRelease(
      withChecksums({
        ...FAKE_IDENTITY,
        proxyInjectorCertPEM: FAKE_IDENTITY.webhookCaPEM,
        issuerCertPEM: `${FAKE_IDENTITY.issuerCertPEM}\n`,
      }),
    );
    assert.equal(a.controlPlane.digest, b.controlPlane.digest);
    assert.match(a.controlPlane.yaml, /checksum\/config: "\{\{meshfleet\.proxyInjectorCertPEM\|sha256\}\}"/);
    assert.doesNotMatch(a.controlPlane.yaml, /identity-issuer-expiry/);
  });

  it('handles a cert-manager issuer Secret given as stringData', () => {
    const tampered = editControlPlane(input(), (objects) => {
      const issuer = find(objects, 'Secret', 'linkerd-identity-issuer');
      delete issuer.data;
      issuer.type = 'kubernetes.io/tls';
      issuer.stringData = {
        'tls.crt': FAKE_IDENTITY.issuerCertPEM,
        'tls.key': FAKE_IDENTITY.issuerKeyPEM,
        'ca.crt': FAKE_IDENTITY.trustAnchorsPEM,
      };
    });
    const objects = parseBundleDocuments(importRenderedRelease(tampered).controlPlane.yaml).objects as any[];
    assert.deepEqual(find(objects, 'Secret', 'linkerd-identity-issuer').stringData, {
      'tls.crt': '{{meshfleet.issuerCertPEM}}',
      'tls.key': '{{meshfleet.issuerKeyPEM}}',
      'ca.crt': '{{meshfleet.trustAnchorsPEM}}',
    });
  });

  it('refuses key material it cannot replace, without echoing it', () => {
    const tampered = editControlPlane(input(), (objects) => {
      objects.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'extra-tls', namespace: 'linkerd' },
        data: { 'tls.key': Buffer.from(FAKE_IDENTITY.issuerKeyPEM).toString('base64') },
      });
    });
    const reasons = rejection(tampered);
    assert.deepEqual(reasons, [
      'the control-plane bundle: Secret linkerd/extra-tls holds certificate or key material at data.tls.key that meshfleet cannot replace with a placeholder',
    ]);
  });
});

describe('importRenderedRelease rejects wrong bundles', () => {
  it('refuses a CRDs bundle with other objects, and swapped bundles', () => {
    const ok = input();
    const swapped = rejection({ ...ok, crdsYaml: ok.controlPlaneYaml, controlPlaneYaml: ok.crdsYaml });
    assert.ok(swapped.some((r) => r.startsWith('the CRDs bundle may only hold CustomResourceDefinitions')));
    assert.ok(swapped.includes('the control-plane bundle has no Deployment linkerd-identity'));
    assert.ok(swapped.some((r) => r.startsWith('the control-plane bundle holds CRDs')));
  });

  it('refuses a control plane without linkerd-config or a core Deployment', () => {
    const reasons = rejection(
      editControlPlane(input(), (objects) => {
        objects.splice(objects.indexOf(find(objects, 'Deployment', 'linkerd-proxy-injector')), 1);
        objects.splice(objects.indexOf(find(objects, 'ConfigMap', 'linkerd-config')), 1);
      }),
    );
    assert.deepEqual(reasons, [
      'the control-plane bundle has no Deployment linkerd-proxy-injector',
      'the control-plane bundle has no ConfigMap linkerd-config (output of `linkerd install`)',
    ]);
  });

  it('refuses a bundle of another version or variant', () => {
    const rendered = input('enterprise-2.19.0', 'ha');
    assert.deepEqual(rejection({ ...rendered, version: 'enterprise-2.19.1' }), [
      'the bundle renders Linkerd enterprise-2.19.0, not enterprise-2.19.1',
    ]);
    assert.deepEqual(rejection({ ...rendered, variant: 'default' }), [
      'the bundle is a high-availability render (--ha / values-ha.yaml) but was imported as the default variant',
    ]);
  });

  it('refuses documents that are not Kubernetes objects, bad YAML and bad version names', () => {
    const ok = input();
    const reasons = rejection({
      ...ok,
      version: 'latest',
      crdsYaml: `${ok.crdsYaml}\n---\nfoo: bar\n`,
      controlPlaneYaml: 'a: [',
    });
    assert.deepEqual(reasons, [
      '"latest" is not a Linkerd release name (edge-YY.M.N, enterprise-2.X.Y, …)',
      'the CRDs bundle: object 11 is not a Kubernetes object (has no apiVersion, kind, metadata.name)',
      reasons[2],
    ]);
    assert.match(reasons[2]!, /^the control-plane bundle: document 1 is not valid YAML/);
    assert.deepEqual(rejection({ ...ok, crdsYaml: '# nothing\n---\n' }).slice(0, 1), [
      'the CRDs bundle is empty',
    ]);
  });
});
