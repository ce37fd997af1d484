// Installs from a bundle shaped like a real render: the Deployments mount the webhook serving
// Secrets, the bundle does not contain them, the webhooks carry a dummy caBundle. The agent has
// to make the Secrets and point the caBundles at their CA, or the pods never start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type {
  V1MutatingWebhookConfiguration,
  V1Secret,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { createServingCa, issueServingCert } from '../src/tasks/lifecycle/agent-pki';
import { bundleObjects } from '../src/tasks/lifecycle/bundle-objects';
import { executeLifecycle, type LifecycleTask } from '../src/tasks/lifecycle/lifecycle-executor';
import { withServingSecrets } from '../src/tasks/lifecycle/webhook-serving-secrets';
import {
  FakeApi,
  gatewayApiCrds,
  installTask,
  PLAIN_CLUSTER,
  realStyleBundles,
  releaseRef,
  upgradeTask,
} from './lifecycle-fixture';

const V219 = 'enterprise-2.19.1';
const V220 = 'enterprise-2.20.0';

const SERVED = [
  {
    secret: 'linkerd-proxy-injector-k8s-tls',
    dns: 'linkerd-proxy-injector.linkerd.svc',
    kind: 'MutatingWebhookConfiguration',
    config: 'linkerd-proxy-injector-webhook-config',
  },
  {
    secret: 'linkerd-sp-validator-k8s-tls',
    dns: 'linkerd-sp-validator.linkerd.svc',
    kind: 'ValidatingWebhookConfiguration',
    config: 'linkerd-sp-validator-webhook-config',
  },
  {
    secret: 'linkerd-policy-validator-k8s-tls',
    dns: 'linkerd-policy-validator.linkerd.svc',
    kind: 'ValidatingWebhookConfiguration',
    config: 'linkerd-policy-validator-webhook-config',
  },
] as const;

describe('webhook serving Secrets a real render mounts but does not contain', () => {
  let sim: Simulator;
  let ops: ClusterOps;
  let api: FakeApi;
  let n = 0;
  const run = (task: LifecycleTask) => executeLifecycle(api.context(ops, task.id), task);

  const served = async (s: (typeof SERVED)[number]) => {
    const secret = await ops.get<V1Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'linkerd',
      name: s.secret,
    });
    const config = await ops.get<V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration>({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: s.kind,
      name: s.config,
    });
    assert.ok(secret?.data, `Secret ${s.secret} exists`);
    const text = (k: string) => Buffer.from(secret.data![k] ?? '', 'base64').toString('utf8');
    return {
      secret,
      cert: new X509Certificate(text('tls.crt')),
      keyPem: text('tls.key'),
      caBundles: (config?.webhooks ?? []).map((w) =>
        Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
      ),
    };
  };

  const assertServed = async () => {
    for (const s of SERVED) {
      const { secret, cert, keyPem, caBundles } = await served(s);
      assert.equal(secret.type, 'kubernetes.io/tls');
      assert.ok(keyPem.includes('PRIVATE KEY'), `${s.secret} has tls.key`);
      assert.equal(cert.checkHost(s.dns), s.dns, `${s.secret} is valid for ${s.dns}`);
      assert.ok(caBundles.length > 0);
      for (const pem of caBundles) {
        assert.ok(
          cert.verify(new X509Certificate(pem).publicKey),
          `${s.config}'s caBundle signed ${s.secret}`,
        );
      }
    }
  };

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [PLAIN_CLUSTER] }, podReadyDelayMs: 20 });
    ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('plain') }).kc,
    );
    for (const crd of gatewayApiCrds()) await ops.apply(crd);
    api = await FakeApi.create(realStyleBundles);
  });
  after(async () => {
    await sim?.close();
  });

  it('the bundle mounts the three Secrets and does not contain them', () => {
    const yaml = realStyleBundles(V219, 'default').controlPlane.yaml;
    for (const s of SERVED) {
      assert.match(yaml, new RegExp(`secretName: ${s.secret}`));
      assert.doesNotMatch(yaml, new RegExp(`kind: Secret\\n(?:.*\\n){0,3}?\\s+name: ${s.secret}`));
    }
  });

  it('installs: SUCCEEDED, the Secrets exist for the service names and each caBundle verifies them', async () => {
    const from = api.events.length;
    const out = await run(installTask(`t${++n}`, releaseRef(V219, 'default', realStyleBundles)));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.equal(api.outcomes(from)['control-plane'], 'succeeded');
    await assertServed();
    const cp = api.events.slice(from).find((e) => e.step === 'control-plane' && e.status === 'succeeded');
    for (const s of SERVED)
      assert.match(cp?.message ?? '', new RegExp(`created serving Secrets [^;]*linkerd/${s.secret}`));
    // Step messages name the Secrets, never their contents.
    for (const e of api.events) assert.doesNotMatch(e.message, /PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  it('a re-run keeps the Secrets; one for the wrong name is replaced and its caBundle follows', async () => {
    const before = await served(SERVED[0]);
    // An sp-validator Secret valid for another name, signed by a CA of its own.
    const ca = await createServingCa('someone else');
    const wrong = await issueServingCert(ca, ['linkerd-sp-validator.other.svc']);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await ops.mergePatch(
      { apiVersion: 'v1', kind: 'Secret', namespace: 'linkerd', name: SERVED[1].secret },
      {
        data: {
          'tls.crt': b64(wrong.certPem),
          'tls.key': b64(wrong.keyPem),
          'ca.crt': b64(ca.cert.toString('pem')),
        },
      },
    );
    const from = api.events.length;
    const out = await run(installTask(`t${++n}`, releaseRef(V219, 'default', realStyleBundles)));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    const msg = api.events
      .slice(from)
      .find((e) => e.step === 'control-plane' && e.status === 'succeeded')?.message;
    assert.match(msg ?? '', /created serving Secrets linkerd\/linkerd-sp-validator-k8s-tls;/);
    assert.match(msg ?? '', /kept serving Secrets [^;]*linkerd\/linkerd-proxy-injector-k8s-tls/);
    const after = await served(SERVED[0]);
    assert.equal(after.cert.fingerprint256, before.cert.fingerprint256, 'a valid Secret is not churned');
    await assertServed();
  });

  it('an upgrade to 2.20 keeps the Secrets valid and trusted', async () => {
    const before = await served(SERVED[2]);
    const out = await run(upgradeTask(`t${++n}`, releaseRef(V220, 'default', realStyleBundles)));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.equal((await served(SERVED[2])).cert.fingerprint256, before.cert.fingerprint256);
    await assertServed();
  });

  it('gives a viz-shaped bundle its tap and tap-injector Secrets, trusted by the APIService and webhook', async () => {
    const objects = bundleObjects(VIZ_STYLE, 'linkerd-viz');
    const r = await withServingSecrets(ops, objects);
    assert.deepEqual(r.created.sort(), ['linkerd-viz/tap-injector-k8s-tls', 'linkerd-viz/tap-k8s-tls']);
    const secret = (name: string) => {
      const s = r.objects.find((o) => o.kind === 'Secret' && o.metadata.name === name) as
        V1Secret | undefined;
      assert.ok(s?.data, name);
      // After the Namespace, before the Deployments that mount it.
      const at = r.objects.indexOf(s as never);
      assert.ok(at > 0 && at < r.objects.findIndex((o) => o.kind === 'Deployment'), `${name} at ${at}`);
      return new X509Certificate(Buffer.from(s.data['tls.crt']!, 'base64'));
    };
    const ca = (b64: string) => new X509Certificate(Buffer.from(b64, 'base64')).publicKey;
    const apiService = r.objects.find((o) => o.kind === 'APIService') as
      { spec: { caBundle: string } } | undefined;
    const injector = r.objects.find((o) => o.kind === 'MutatingWebhookConfiguration') as
      V1MutatingWebhookConfiguration | undefined;
    const tap = secret('tap-k8s-tls');
    assert.equal(tap.checkHost('tap.linkerd-viz.svc'), 'tap.linkerd-viz.svc');
    assert.ok(tap.verify(ca(apiService!.spec.caBundle)));
    const tapInjector = secret('tap-injector-k8s-tls');
    assert.equal(tapInjector.checkHost('tap-injector.linkerd-viz.svc'), 'tap-injector.linkerd-viz.svc');
    assert.ok(tapInjector.verify(ca(injector!.webhooks![0]!.clientConfig.caBundle!)));
    // The input objects are left as they were.
    assert.equal(
      (objects.find((o) => o.kind === 'APIService')!.spec as { caBundle: string }).caBundle,
      'ZHVtbXk=',
    );
  });

  it('never writes a Secret cert-manager issued: trusts its ca.crt, or leaves the caBundle to cainjector', async () => {
    await ops.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd-viz' } });
    const ca = await createServingCa('cert-manager CA');
    const cert = await issueServingCert(ca, ['tap.linkerd-viz.svc']);
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    const tapSecret = (data: Record<string, string>) =>
      ops.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name: 'tap-k8s-tls',
          namespace: 'linkerd-viz',
          annotations: { 'cert-manager.io/certificate-name': 'tap', 'cert-manager.io/issuer-kind': 'Issuer' },
        },
        data,
      });
    await tapSecret({
      'tls.crt': b64(cert.certPem),
      'tls.key': b64(cert.keyPem),
      'ca.crt': b64(ca.cert.toString('pem')),
    });
    const objects = bundleObjects(VIZ_STYLE, 'linkerd-viz');
    const r = await withServingSecrets(ops, objects);
    assert.deepEqual(r.external, ['linkerd-viz/tap-k8s-tls']);
    assert.ok(
      !r.objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'tap-k8s-tls'),
      'not applied',
    );
    const apiService = r.objects.find((o) => o.kind === 'APIService') as unknown as {
      spec: { caBundle?: string };
    };
    assert.equal(apiService.spec.caBundle, b64(ca.cert.toString('pem')));

    // The APIService says cainjector fills its caBundle: the agent applies none.
    const injected = objects.map((o) =>
      o.kind === 'APIService'
        ? {
            ...o,
            metadata: { ...o.metadata, annotations: { 'cert-manager.io/inject-ca-from': 'linkerd-viz/tap' } },
          }
        : o,
    );
    const left = await withServingSecrets(ops, injected);
    const spec = (
      left.objects.find((o) => o.kind === 'APIService') as unknown as { spec: Record<string, unknown> }
    ).spec;
    assert.equal('caBundle' in spec, false);

    // Neither a ca.crt nor cainjector: nothing says what to trust, and the agent says so.
    await ops.mergePatch(
      { apiVersion: 'v1', kind: 'Secret', namespace: 'linkerd-viz', name: 'tap-k8s-tls' },
      { data: { 'ca.crt': null } },
    );
    await assert.rejects(withServingSecrets(ops, objects), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'APPLY_FAILED');
      assert.match(e.message, /issued by cert-manager without a ca\.crt/);
      return true;
    });
    await ops.delete({ apiVersion: 'v1', kind: 'Secret', namespace: 'linkerd-viz', name: 'tap-k8s-tls' });
  });

  it("treats Secrets an earlier import added to a bundle as the agent's to make", async () => {
    const objects = bundleObjects(VIZ_STYLE, 'linkerd-viz');
    const added = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'tap-injector-k8s-tls',
        namespace: 'linkerd-viz',
        annotations: { 'meshfleet.io/added-on-import': 'true' },
      },
      data: { 'tls.crt': 'cGxhY2Vob2xkZXI=' },
    };
    const r = await withServingSecrets(ops, [objects[0]!, added as never, ...objects.slice(1)]);
    const secrets = r.objects.filter(
      (o) => o.kind === 'Secret' && o.metadata.name === 'tap-injector-k8s-tls',
    );
    assert.equal(secrets.length, 1);
    assert.ok(r.created.includes('linkerd-viz/tap-injector-k8s-tls'));
    assert.notEqual(
      (secrets[0] as unknown as { data: Record<string, string> }).data['tls.crt'],
      'cGxhY2Vob2xkZXI=',
    );
  });
});

// Made for this test in the shape viz renders have: the tap APIService is served on port 443 of
// Service tap whose targetPort names the tap container's port; tap-injector is a webhook.
const VIZ_STYLE = `
apiVersion: v1
kind: Namespace
metadata: { name: linkerd-viz, labels: { linkerd.io/extension: viz } }
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1alpha1.tap.linkerd.io, labels: { linkerd.io/extension: viz } }
spec:
  group: tap.linkerd.io
  version: v1alpha1
  groupPriorityMinimum: 1000
  versionPriority: 100
  service: { name: tap, namespace: linkerd-viz }
  caBundle: ZHVtbXk=
---
apiVersion: v1
kind: Service
metadata: { name: tap, namespace: linkerd-viz }
spec:
  selector: { linkerd.io/extension: viz, component: tap }
  ports:
  - { name: grpc, port: 8088, targetPort: 8088 }
  - { name: apiserver, port: 443, targetPort: apiserver }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: tap, namespace: linkerd-viz, labels: { linkerd.io/extension: viz, component: tap } }
spec:
  selector: { matchLabels: { linkerd.io/extension: viz, component: tap } }
  template:
    metadata: { labels: { linkerd.io/extension: viz, component: tap } }
    spec:
      containers:
      - name: tap
        image: example/tap:1
        ports: [{ name: grpc, containerPort: 8088 }, { name: apiserver, containerPort: 8089 }]
        volumeMounts: [{ name: tls, mountPath: /var/run/linkerd/tls, readOnly: true }]
      volumes: [{ name: tls, secret: { secretName: tap-k8s-tls } }]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: linkerd-tap-injector-webhook-config, labels: { linkerd.io/extension: viz } }
webhooks:
- name: tap-injector.linkerd.io
  clientConfig: { service: { name: tap-injector, namespace: linkerd-viz, path: / }, caBundle: ZHVtbXk= }
  sideEffects: None
  admissionReviewVersions: [v1]
---
apiVersion: v1
kind: Service
metadata: { name: tap-injector, namespace: linkerd-viz }
spec:
  selector: { linkerd.io/extension: viz, component: tap-injector }
  ports: [{ name: tap-injector, port: 443, targetPort: tap-injector }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: tap-injector, namespace: linkerd-viz, labels: { linkerd.io/extension: viz, component: tap-injector } }
spec:
  selector: { matchLabels: { linkerd.io/extension: viz, component: tap-injector } }
  template:
    metadata: { labels: { linkerd.io/extension: viz, component: tap-injector } }
    spec:
      containers:
      - name: tap-injector
        image: example/tap:1
        ports: [{ name: tap-injector, containerPort: 8443 }]
        volumeMounts: [{ name: tls, mountPath: /var/run/linkerd/tls, readOnly: true }]
      volumes: [{ name: tls, secret: { secretName: tap-injector-k8s-tls } }]
`;
