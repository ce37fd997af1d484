// Extension renders shaped like what operators paste (our own text, built from the simulated
// render), one per structure real `linkerd viz install` / `linkerd multicluster install` output has:
// - vizCliRender: the chart's default — tap-k8s-tls and tap-injector-k8s-tls Secrets carrying
//   certificates the CLI generated, and the caBundle of the APIService and webhook set to their CA;
// - vizExternalSecretRender: `tap.externalSecret` / `tapInjector.externalSecret` — no Secrets, the
//   caBundle holds whatever the operator passed (a stand-in text, not a certificate);
// - vizHelmRender: `helm template` — `# Source:` comments, no Namespace, created-by linkerd/helm;
// - multiclusterRender: the Link CRD, the remote-access token Secret (no data) and created-by helm.
import { SIMULATED_RELEASE_LABEL } from '../render/render-context';
import { renderSimulatedExtension } from '../extensions/simulated-extensions';
import { isRecord, stringifyObjects, type KubeObject } from '../yaml-bundle';
import { FAKE_IDENTITY } from './fake-identity.fixture';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures edit parsed YAML freely
type Obj = Record<string, any>;
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function dress(value: unknown, createdBy: string): unknown {
  if (Array.isArray(value)) return value.map((v) => dress(v, createdBy));
  if (!isRecord(value)) return value;
  const out: Obj = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dress(v, createdBy)]));
  if (isRecord(out['labels'])) delete out['labels'][SIMULATED_RELEASE_LABEL];
  if (isRecord(out['annotations']) && 'linkerd.io/created-by' in out['annotations'])
    out['annotations']['linkerd.io/created-by'] = createdBy;
  return out;
}

function dressed(version: string, extension: 'viz' | 'multicluster', tool: 'cli' | 'helm'): Obj[] {
  return renderSimulatedExtension(version, extension).map(
    (o) => dress(o, `linkerd/${tool} ${version}`) as Obj,
  );
}

function setCaBundle(objects: Obj[], caBundle: string): void {
  for (const o of objects) {
    if (o['kind'] === 'APIService') o['spec']['caBundle'] = caBundle;
    if (o['kind'] === 'MutatingWebhookConfiguration')
      for (const h of o['webhooks']) h['clientConfig']['caBundle'] = caBundle;
  }
}

function tlsSecret(name: string, component: string, certPem: string, keyPem: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: 'linkerd-viz', labels: { 'linkerd.io/extension': 'viz', component } },
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem) },
  };
}

// The CLI prints a `###` banner before each group of objects.
const banners = (objects: Obj[]): string =>
  stringifyObjects(objects)
    .split(/^---\n/m)
    .map((doc) => `###\n### Linkerd Viz Extension\n###\n${doc}`)
    .join('---\n');

export function vizCliRender(version: string): string {
  const objects = dressed(version, 'viz', 'cli');
  setCaBundle(objects, b64(FAKE_IDENTITY.webhookCaPEM));
  const at = objects.findIndex((o) => o['kind'] === 'APIService');
  objects.splice(
    at,
    0,
    tlsSecret('tap-k8s-tls', 'tap', FAKE_IDENTITY.proxyInjectorCertPEM, FAKE_IDENTITY.proxyInjectorKeyPEM),
    tlsSecret(
      'tap-injector-k8s-tls',
      'tap-injector',
      FAKE_IDENTITY.spValidatorCertPEM,
      FAKE_IDENTITY.spValidatorKeyPEM,
    ),
  );
  return banners(objects);
}

export function vizExternalSecretRender(version: string): string {
  const objects = dressed(version, 'viz', 'cli');
  setCaBundle(objects, b64('operator-supplied-tap-ca-bundle'));
  return banners(objects);
}

export function vizHelmRender(version: string): string {
  const objects = dressed(version, 'viz', 'helm').filter((o) => o['kind'] !== 'Namespace');
  setCaBundle(objects, b64(FAKE_IDENTITY.webhookCaPEM));
  return objects
    .map((o, i) => `---\n# Source: linkerd-viz/templates/object-${i}.yaml\n${stringifyObjects([o])}`)
    .join('');
}

export function multiclusterRender(version: string): string {
  return stringifyObjects(dressed(version, 'multicluster', 'helm') as KubeObject[]);
}
