// Imports of the shapes real `linkerd install` and `helm template` output have (issue 13), built
// by our own fixtures: config-overrides, externally managed webhook Secrets, no Namespace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { ReleaseImportError } from './catalog.errors';
import { importRenderedRelease, type ImportReleaseInput } from './import-release';
import { fillPlaceholders, placeholdersIn } from './placeholders';
import { FAKE_IDENTITY, FAKE_PEM_LINES } from './testing/fake-identity.fixture';
import { cliRender, crdsRender, helmRender } from './testing/release-renders.fixture';
import { parseBundleDocuments, stringifyObjects, type KubeObject } from './yaml-bundle';

const V = 'enterprise-2.20.0';
const objectsOf = (yaml: string): any[] => parseBundleDocuments(yaml).objects as any[];
const find = (yaml: string, kind: string, name: string): any =>
  objectsOf(yaml).find((o: KubeObject) => o.kind === kind && o.metadata.name === name);

function rejection(i: ImportReleaseInput): string[] {
  try {
    importRenderedRelease(i);
  } catch (e) {
    assert.ok(e instanceof ReleaseImportError, String(e));
    return e.reasons;
  }
  assert.fail('the import was accepted');
}

// Material of "another cluster": what the agent would pass at apply time.
const CLUSTER = {
  ...FAKE_IDENTITY,
  trustAnchorsPEM: FAKE_IDENTITY.webhookCaPEM,
  issuerCertPEM: FAKE_IDENTITY.spValidatorCertPEM,
  issuerKeyPEM: FAKE_IDENTITY.policyValidatorKeyPEM,
  trustDomain: 'prod.example',
};

describe('import of a `linkerd install` render', () => {
  const input: ImportReleaseInput = { version: V, variant: 'default', ...cliRender(V, 'default') };
  const imported = importRenderedRelease(input);
  const stored = imported.controlPlane.yaml;

  it('keeps the config-overrides Secret, decoded into placeholders, with no private key', () => {
    const given = find(input.controlPlaneYaml, 'Secret', 'linkerd-config-overrides');
    const decoded = Buffer.from(given.data['linkerd-config-overrides'], 'base64').toString();
    assert.match(decoded, /PRIVATE KEY/, 'the render carries the issuer key in its overrides');
    assert.doesNotMatch(stored, /-----BEGIN|PRIVATE KEY|LS0tLS1CRUdJTi/);
    for (const line of FAKE_PEM_LINES) assert.ok(!stored.includes(line));
    const secret = find(stored, 'Secret', 'linkerd-config-overrides');
    const text: string = secret.data['linkerd-config-overrides'];
    assert.match(text, /\{\{meshfleet\.issuerCertPEM\}\}/);
    assert.match(text, /\{\{meshfleet\.trustAnchorsPEM\}\}/);
    assert.doesNotMatch(text, /keyPEM|issuerKeyPEM/, 'the issuer key is dropped, not a placeholder');
  });

  it('fills the overrides as valid base64 YAML with the cluster material', () => {
    const filled = fillPlaceholders(stored, CLUSTER);
    assert.deepEqual(placeholdersIn(filled), []);
    const secret = find(filled, 'Secret', 'linkerd-config-overrides');
    const values = parse(Buffer.from(secret.data['linkerd-config-overrides'], 'base64').toString('utf8'));
    assert.equal(values.identityTrustAnchorsPEM, CLUSTER.trustAnchorsPEM.trim());
    assert.equal(values.identity.issuer.tls.crtPEM, CLUSTER.issuerCertPEM.trim());
    assert.equal(values.identity.issuer.tls.keyPEM, undefined);
    assert.equal(values.heartbeatSchedule, '41 2 * * *', 'the operator overrides survive');
    assert.equal(values.proxyInjector.externalSecret, true);
  });

  it('stores no webhook Secret the render lacks: the agent makes those; the caBundle is a placeholder', () => {
    assert.equal(find(input.controlPlaneYaml, 'Secret', 'linkerd-sp-validator-k8s-tls'), undefined);
    const filled = fillPlaceholders(stored, CLUSTER);
    for (const name of [
      'linkerd-proxy-injector-k8s-tls',
      'linkerd-sp-validator-k8s-tls',
      'linkerd-policy-validator-k8s-tls',
    ])
      assert.equal(find(filled, 'Secret', name), undefined, name);
    const mwc = find(filled, 'MutatingWebhookConfiguration', 'linkerd-proxy-injector-webhook-config');
    assert.equal(
      Buffer.from(mwc.webhooks[0].clientConfig.caBundle, 'base64').toString(),
      CLUSTER.webhookCaPEM,
    );
  });

  it('imports the ha variant, and the same text again to the same digest', () => {
    const ha = importRenderedRelease({ version: V, variant: 'ha', ...cliRender(V, 'ha') });
    assert.equal(ha.variant, 'ha');
    assert.equal(importRenderedRelease(input).controlPlane.digest, imported.controlPlane.digest);
  });

  it('refuses an overrides Secret holding key material in a place it does not know', () => {
    const objects = objectsOf(input.controlPlaneYaml);
    const secret = objects.find((o) => o.metadata.name === 'linkerd-config-overrides');
    const text = Buffer.from(secret.data['linkerd-config-overrides'], 'base64').toString();
    secret.data['linkerd-config-overrides'] = Buffer.from(
      `${text}extra:\n  signingKey: |\n    -----BEGIN PRIVATE KEY-----\n    c2VjcmV0\n    -----END PRIVATE KEY-----\n`,
    ).toString('base64');
    const reasons = rejection({ ...input, controlPlaneYaml: stringifyObjects(objects) });
    assert.deepEqual(reasons, [
      'the control-plane bundle: Secret linkerd/linkerd-config-overrides holds certificate or key material at data.linkerd-config-overrides (decoded) extra.signingKey that meshfleet cannot replace with a placeholder',
    ]);
    assert.doesNotMatch(reasons.join(), /c2VjcmV0|BEGIN/);
  });
});

describe('import of a `helm template` render', () => {
  const input: ImportReleaseInput = { version: V, variant: 'ha', ...helmRender(V, 'ha') };

  it('adds the labelled control-plane Namespace helm leaves out', () => {
    assert.equal(find(input.controlPlaneYaml, 'Namespace', 'linkerd'), undefined);
    const stored = importRenderedRelease(input).controlPlane.yaml;
    const ns = objectsOf(stored)[0];
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.name, 'linkerd');
    assert.equal(ns.metadata.labels['config.linkerd.io/admission-webhooks'], 'disabled');
    assert.equal(ns.metadata.annotations['linkerd.io/inject'], 'disabled');
    assert.doesNotMatch(stored, /# Source:|-----BEGIN/);
  });

  it('refuses a render created by another version', () => {
    const other = helmRender('enterprise-2.19.1', 'ha').controlPlaneYaml.replace(
      /linkerdVersion: enterprise-2.19.1/,
      `linkerdVersion: ${V}`,
    );
    assert.deepEqual(rejection({ ...input, controlPlaneYaml: other }), [
      `the control-plane bundle holds objects created by linkerd/helm enterprise-2.19.1, not ${V}`,
    ]);
  });

  it('refuses a render for another namespace, saying how to render it (helm template -n linkerd-dev)', () => {
    const elsewhere = input.controlPlaneYaml.replace(/namespace: linkerd\n/g, 'namespace: linkerd-dev\n');
    assert.deepEqual(rejection({ ...input, controlPlaneYaml: elsewhere }), [
      'the bundle installs the control plane into namespace linkerd-dev; Meshfleet installs it into linkerd (render with --namespace linkerd / helm template -n linkerd)',
    ]);
  });
});

describe('what the importer refuses', () => {
  const base: ImportReleaseInput = { version: V, variant: 'default', ...cliRender(V, 'default') };

  it('refuses an incomplete CRD set, naming the missing CRDs', () => {
    const crds = objectsOf(base.crdsYaml).filter(
      (o) => !['servers.policy.linkerd.io', 'egressnetworks.policy.linkerd.io'].includes(o.metadata.name),
    );
    assert.deepEqual(rejection({ ...base, crdsYaml: stringifyObjects(crds) }), [
      'the CRDs bundle is incomplete: Linkerd 2.20 needs 10 Linkerd CRDs, missing egressnetworks.policy.linkerd.io, servers.policy.linkerd.io (import the whole output of `linkerd install --crds`)',
    ]);
  });

  it('accepts Gateway API CRDs next to the Linkerd ones, and refuses foreign CRDs', () => {
    const withGateway = crdsRender(V, { gatewayApi: true });
    const imported = importRenderedRelease({ ...base, crdsYaml: withGateway });
    assert.equal(imported.crds.inventory.length, 14);
    const foreign = withGateway.replace(/grpcroutes\.gateway\.networking\.k8s\.io/, 'widgets.example.com');
    const reasons = rejection({
      ...base,
      crdsYaml: foreign.replace('group: gateway.networking.k8s.io', 'group: example.com'),
    });
    assert.match(reasons.join(), /neither Linkerd's nor the Gateway API's: widgets\.example\.com/);
  });

  it('refuses a control plane cut in the middle of a document', () => {
    const text = base.controlPlaneYaml;
    const at = text.lastIndexOf('kind: Deployment');
    const cut = text.slice(0, text.indexOf('template:', at) + 'template:'.length);
    const reasons = rejection({ ...base, controlPlaneYaml: cut });
    assert.ok(
      reasons.some((r) =>
        /Deployment linkerd\/linkerd-proxy-injector is incomplete \(no spec\.template\.spec\.containers\); was the bundle cut short\?/.test(
          r,
        ),
      ),
      reasons.join('\n'),
    );
  });

  it('refuses a CRDs bundle cut inside the last CRD', () => {
    const text = base.crdsYaml;
    const cut = text.slice(0, text.lastIndexOf('served:'));
    const reasons = rejection({ ...base, crdsYaml: cut });
    assert.match(
      reasons.join(),
      /CustomResourceDefinition externalworkloads\.workload\.linkerd\.io is incomplete/,
    );
  });

  it('refuses a control plane without its Deployments', () => {
    const objects = objectsOf(base.controlPlaneYaml).filter((o) => o.kind !== 'Deployment');
    assert.deepEqual(rejection({ ...base, controlPlaneYaml: stringifyObjects(objects) }), [
      'the control-plane bundle has no Deployment linkerd-destination',
      'the control-plane bundle has no Deployment linkerd-identity',
      'the control-plane bundle has no Deployment linkerd-proxy-injector',
    ]);
  });

  it('refuses a render of another version', () => {
    const reasons = rejection({ ...base, version: 'enterprise-2.19.1' });
    assert.match(reasons.join(), /renders Linkerd enterprise-2\.20\.0, not enterprise-2\.19\.1/);
  });
});
