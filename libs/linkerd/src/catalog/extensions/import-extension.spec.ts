// Imports of the shapes real extension renders have, built by our own fixtures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReleaseImportError } from '../catalog.errors';
import { ADDED_ON_IMPORT } from '../import/complete-render';
import { FAKE_PEM_LINES } from '../testing/fake-identity.fixture';
import {
  multiclusterRender,
  vizCliRender,
  vizExternalSecretRender,
  vizHelmRender,
} from '../testing/extension-renders.fixture';
import { parseBundleDocuments } from '../yaml-bundle';
import { importExtensionRender, type ImportExtensionInput } from './import-extension';
import { simulatedExtensionBundle } from './simulated-extensions';

const V = 'edge-26.8.3';
const objectsOf = (yaml: string): any[] => parseBundleDocuments(yaml).objects as any[];

function rejection(i: ImportExtensionInput): string[] {
  try {
    importExtensionRender(i);
  } catch (e) {
    assert.ok(e instanceof ReleaseImportError, String(e));
    return e.reasons;
  }
  assert.fail('the import was accepted');
}

describe('import of `linkerd viz install` output', () => {
  it('drops the generated tap certificates and caBundles, keeping every other object', () => {
    const b = importExtensionRender({ extension: 'viz', version: V, yaml: vizCliRender(V) });
    for (const line of FAKE_PEM_LINES) assert.ok(!b.yaml.includes(line), 'a PEM line survived');
    const objects = objectsOf(b.yaml);
    assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0);
    const api = objects.find((o) => o.kind === 'APIService');
    assert.equal(api.spec.caBundle, undefined);
    assert.equal(api.spec.service.name, 'tap');
    const hook = objects.find((o) => o.kind === 'MutatingWebhookConfiguration');
    assert.equal(hook.webhooks[0].clientConfig.caBundle, undefined);
    assert.equal(b.namespace, 'linkerd-viz');
    // The same objects as the simulated render: 2 Secrets fewer than the CLI printed.
    assert.equal(objects.length, objectsOf(vizCliRender(V)).length - 2);
    assert.deepEqual(
      b.inventory.map((i) => `${i.kind}/${i.name}`).sort(),
      simulatedExtensionBundle(V, 'viz')
        .inventory.map((i) => `${i.kind}/${i.name}`)
        .sort(),
    );
  });

  it('gives the same text and digest for the externalSecret render (caBundle text given by the operator)', () => {
    const a = importExtensionRender({ extension: 'viz', version: V, yaml: vizCliRender(V) });
    const b = importExtensionRender({ extension: 'viz', version: V, yaml: vizExternalSecretRender(V) });
    assert.equal(b.digest, a.digest);
    assert.equal(
      importExtensionRender({ extension: 'viz', version: V, yaml: vizCliRender(V) }).digest,
      a.digest,
    );
  });

  it('adds the labelled Namespace helm leaves out', () => {
    const b = importExtensionRender({ extension: 'viz', version: V, yaml: vizHelmRender(V) });
    const ns = objectsOf(b.yaml).find((o) => o.kind === 'Namespace');
    assert.equal(ns.metadata.name, 'linkerd-viz');
    assert.equal(ns.metadata.labels['linkerd.io/extension'], 'viz');
    assert.equal(ns.metadata.annotations[ADDED_ON_IMPORT], 'true');
  });

  it('refuses a render of another release, naming the objects', () => {
    const reasons = rejection({ extension: 'viz', version: 'edge-26.6.3', yaml: vizCliRender(V) });
    assert.ok(
      reasons.some((r) =>
        /Deployment linkerd-viz\/tap was created by linkerd\/cli edge-26\.8\.3, not edge-26\.6\.3/.test(r),
      ),
      reasons.join('\n'),
    );
  });

  it('refuses objects not labelled for the extension and objects in the control-plane namespace', () => {
    const yaml = vizCliRender(V)
      .replace('name: tap-injector\n  namespace: linkerd-viz', 'name: tap-injector\n  namespace: linkerd')
      .replace(/linkerd\.io\/extension: viz\n(\s+component: web)/, '$1');
    const reasons = rejection({ extension: 'viz', version: V, yaml });
    assert.ok(
      reasons.some((r) => /in the control plane's namespace/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => /is not labelled linkerd\.io\/extension=viz/.test(r)),
      reasons.join('\n'),
    );
  });

  it('refuses the multicluster render offered as viz, an unknown extension and a bad version', () => {
    const reasons = rejection({ extension: 'viz', version: V, yaml: multiclusterRender(V) });
    assert.ok(
      reasons.some((r) => /no Deployment tap;/.test(r)),
      reasons.join('\n'),
    );
    assert.ok(
      rejection({ extension: 'jaeger', version: V, yaml: vizCliRender(V) }).some((r) =>
        /"jaeger" is not an extension/.test(r),
      ),
    );
    assert.ok(
      rejection({ extension: 'viz', version: '2.20', yaml: vizCliRender(V) }).some((r) =>
        /not a Linkerd release name/.test(r),
      ),
    );
  });

  it('refuses key material in a place it does not know, without quoting it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n';
    const yaml = vizCliRender(V).replace(
      'prometheus.yml: |',
      `key.pem: ${JSON.stringify(pem)}\n  prometheus.yml: |`,
    );
    const reasons = rejection({ extension: 'viz', version: V, yaml });
    assert.ok(
      reasons.some((r) =>
        /ConfigMap linkerd-viz\/prometheus-config holds certificate or key material at data\.key\.pem/.test(
          r,
        ),
      ),
      reasons.join('\n'),
    );
    assert.ok(!reasons.join(' ').includes('c2VjcmV0'));
  });
});

describe('import of `linkerd multicluster install` output', () => {
  it('keeps the Link CRD and the token Secret (no data), created by helm', () => {
    const b = importExtensionRender({ extension: 'multicluster', version: V, yaml: multiclusterRender(V) });
    const objects = objectsOf(b.yaml);
    assert.equal(b.namespace, 'linkerd-multicluster');
    assert.ok(
      objects.some(
        (o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'links.multicluster.linkerd.io',
      ),
    );
    const token = objects.find((o) => o.kind === 'Secret');
    assert.equal(token.type, 'kubernetes.io/service-account-token');
  });
});
