import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulatedReleaseBundles } from '@meshfleet/linkerd';
import { bundleObjects, type BundleObject } from './bundle-objects';
import { servingSecretsNeeded } from './serving-secrets';

// Structures met in real renders, written here: a Service selects a workload by labels, its
// targetPort names a container port, and that container mounts a Secret volume among others.
type Container = { name: string; ports?: Array<{ name?: string; containerPort: number }>; mounts?: string[] };

function workload(
  ns: string,
  name: string,
  labels: Record<string, string>,
  containers: Container[],
  volumes: Array<{ name: string; secret?: string; configMap?: string }>,
): BundleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { ...labels, unrelated: 'x' } },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, 'linkerd.io/workload-ns': ns } },
        spec: {
          containers: containers.map((c) => ({
            name: c.name,
            ports: c.ports ?? [],
            volumeMounts: (c.mounts ?? []).map((m) => {
              const [volume, path] = m.split(':');
              return { name: volume!, mountPath: path! };
            }),
          })),
          volumes: volumes.map((v) => ({
            name: v.name,
            ...(v.secret ? { secret: { secretName: v.secret } } : {}),
            ...(v.configMap ? { configMap: { name: v.configMap } } : {}),
          })),
        },
      },
    },
  };
}

function service(
  ns: string,
  name: string,
  selector: Record<string, string>,
  targetPort: string | number,
  port = 443,
): BundleObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { selector, ports: [{ name: 'https', port, targetPort }] },
  };
}

function webhookConfig(kind: string, name: string, ns: string, serviceName: string): BundleObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name },
    webhooks: [
      {
        name: `${serviceName}.linkerd.io`,
        clientConfig: { service: { name: serviceName, namespace: ns, path: '/' }, caBundle: 'ZHVtbXk=' },
      },
    ],
  };
}

const cp = (component: string) => ({
  'linkerd.io/control-plane-component': component,
  'linkerd.io/control-plane-ns': 'linkerd',
});

/** A control plane as `linkerd install` renders it: three webhooks, no serving Secrets. */
function realStyleControlPlane(): BundleObject[] {
  return [
    webhookConfig(
      'ValidatingWebhookConfiguration',
      'linkerd-sp-validator-webhook-config',
      'linkerd',
      'linkerd-sp-validator',
    ),
    webhookConfig(
      'ValidatingWebhookConfiguration',
      'linkerd-policy-validator-webhook-config',
      'linkerd',
      'linkerd-policy-validator',
    ),
    webhookConfig(
      'MutatingWebhookConfiguration',
      'linkerd-proxy-injector-webhook-config',
      'linkerd',
      'linkerd-proxy-injector',
    ),
    service(
      'linkerd',
      'linkerd-sp-validator',
      { 'linkerd.io/control-plane-component': 'destination' },
      'sp-validator',
    ),
    service(
      'linkerd',
      'linkerd-policy-validator',
      { 'linkerd.io/control-plane-component': 'destination' },
      'policy-https',
    ),
    service(
      'linkerd',
      'linkerd-proxy-injector',
      { 'linkerd.io/control-plane-component': 'proxy-injector' },
      'proxy-injector',
    ),
    workload(
      'linkerd',
      'linkerd-destination',
      cp('destination'),
      [
        { name: 'destination', ports: [{ name: 'dest-grpc', containerPort: 8086 }] },
        {
          name: 'sp-validator',
          ports: [{ name: 'sp-validator', containerPort: 8443 }],
          mounts: ['sp-tls:/var/run/linkerd/tls'],
        },
        {
          name: 'policy',
          ports: [{ name: 'policy-https', containerPort: 9443 }],
          mounts: ['policy-tls:/var/run/linkerd/tls'],
        },
      ],
      [
        { name: 'sp-tls', secret: 'linkerd-sp-validator-k8s-tls' },
        { name: 'policy-tls', secret: 'linkerd-policy-validator-k8s-tls' },
      ],
    ),
    workload(
      'linkerd',
      'linkerd-proxy-injector',
      cp('proxy-injector'),
      [
        {
          name: 'proxy-injector',
          ports: [{ name: 'proxy-injector', containerPort: 8443 }],
          mounts: ['config:/var/run/linkerd/config', 'tls:/var/run/linkerd/tls'],
        },
      ],
      [
        { name: 'config', configMap: 'linkerd-config' },
        { name: 'tls', secret: 'linkerd-proxy-injector-k8s-tls' },
      ],
    ),
  ];
}

/** viz: the tap APIService and the tap-injector webhook, each with its own Secret. */
function vizStyle(): BundleObject[] {
  const viz = (component: string) => ({ 'linkerd.io/extension': 'viz', component });
  return [
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1alpha1.tap.linkerd.io' },
      spec: {
        group: 'tap.linkerd.io',
        version: 'v1alpha1',
        service: { name: 'tap', namespace: 'linkerd-viz' },
        caBundle: 'ZHVtbXk=',
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'tap', namespace: 'linkerd-viz' },
      spec: {
        selector: viz('tap'),
        ports: [
          { name: 'grpc', port: 8088, targetPort: 8088 },
          { name: 'apiserver', port: 443, targetPort: 'apiserver' },
        ],
      },
    },
    workload(
      'linkerd-viz',
      'tap',
      viz('tap'),
      [
        {
          name: 'tap',
          ports: [
            { name: 'grpc', containerPort: 8088 },
            { name: 'apiserver', containerPort: 8089 },
          ],
          mounts: ['tls:/var/run/linkerd/tls'],
        },
      ],
      [{ name: 'tls', secret: 'tap-k8s-tls' }],
    ),
    webhookConfig(
      'MutatingWebhookConfiguration',
      'linkerd-tap-injector-webhook-config',
      'linkerd-viz',
      'tap-injector',
    ),
    service('linkerd-viz', 'tap-injector', viz('tap-injector'), 'tap-injector'),
    workload(
      'linkerd-viz',
      'tap-injector',
      viz('tap-injector'),
      [
        {
          name: 'tap-injector',
          ports: [{ name: 'tap-injector', containerPort: 8443 }],
          mounts: ['tls:/var/run/linkerd/tls'],
        },
      ],
      [{ name: 'tls', secret: 'tap-injector-k8s-tls' }],
    ),
  ];
}

const summary = (objects: BundleObject[]) =>
  servingSecretsNeeded(objects)
    .map((n) => ({
      secret: `${n.namespace}/${n.secretName}`,
      dns: n.dnsNames,
      inBundle: n.inBundle,
      clients: n.clients.map((c) => `${c.kind}/${c.name}${c.webhook ? `#${c.webhook}` : ''}`),
    }))
    .sort((a, b) => a.secret.localeCompare(b.secret));

describe('serving Secrets a bundle needs', () => {
  it('follows webhook → Service → targetPort → container → mounted Secret in a real-style control plane', () => {
    assert.deepEqual(summary(realStyleControlPlane()), [
      {
        secret: 'linkerd/linkerd-policy-validator-k8s-tls',
        dns: ['linkerd-policy-validator.linkerd.svc'],
        inBundle: false,
        clients: [
          'ValidatingWebhookConfiguration/linkerd-policy-validator-webhook-config#linkerd-policy-validator.linkerd.io',
        ],
      },
      {
        secret: 'linkerd/linkerd-proxy-injector-k8s-tls',
        dns: ['linkerd-proxy-injector.linkerd.svc'],
        inBundle: false,
        clients: [
          'MutatingWebhookConfiguration/linkerd-proxy-injector-webhook-config#linkerd-proxy-injector.linkerd.io',
        ],
      },
      {
        secret: 'linkerd/linkerd-sp-validator-k8s-tls',
        dns: ['linkerd-sp-validator.linkerd.svc'],
        inBundle: false,
        clients: [
          'ValidatingWebhookConfiguration/linkerd-sp-validator-webhook-config#linkerd-sp-validator.linkerd.io',
        ],
      },
    ]);
  });

  it('gives the Secret the serving workload’s Linkerd labels only', () => {
    const injector = servingSecretsNeeded(realStyleControlPlane()).find(
      (n) => n.secretName === 'linkerd-proxy-injector-k8s-tls',
    );
    assert.deepEqual(injector?.labels, cp('proxy-injector'));
  });

  it('covers viz: the tap APIService (port 443 → named apiserver port) and the tap-injector webhook', () => {
    assert.deepEqual(summary(vizStyle()), [
      {
        secret: 'linkerd-viz/tap-injector-k8s-tls',
        dns: ['tap-injector.linkerd-viz.svc'],
        inBundle: false,
        clients: ['MutatingWebhookConfiguration/linkerd-tap-injector-webhook-config#tap-injector.linkerd.io'],
      },
      {
        secret: 'linkerd-viz/tap-k8s-tls',
        dns: ['tap.linkerd-viz.svc'],
        inBundle: false,
        clients: ['APIService/v1alpha1.tap.linkerd.io'],
      },
    ]);
  });

  it('marks Secrets the bundle contains, as the simulated catalog renders them', () => {
    const objects = bundleObjects(
      simulatedReleaseBundles('enterprise-2.19.1', 'default').controlPlane.yaml,
      'linkerd',
    );
    const needs = servingSecretsNeeded(objects);
    assert.deepEqual(needs.map((n) => n.secretName).sort(), [
      'linkerd-policy-validator-k8s-tls',
      'linkerd-proxy-injector-k8s-tls',
      'linkerd-sp-validator-k8s-tls',
    ]);
    assert.ok(needs.every((n) => n.inBundle));
  });

  it('needs nothing for a webhook served from outside the bundle or by URL', () => {
    const objects = realStyleControlPlane().filter(
      (o) => !(o.kind === 'Service' && o.metadata.name === 'linkerd-proxy-injector'),
    );
    objects.push({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'by-url' },
      webhooks: [{ name: 'x.example.com', clientConfig: { url: 'https://x.example.com/' } }],
    });
    assert.deepEqual(
      summary(objects).map((n) => n.secret),
      ['linkerd/linkerd-policy-validator-k8s-tls', 'linkerd/linkerd-sp-validator-k8s-tls'],
    );
  });

  it('picks the TLS Secret when the serving container mounts several, and skips an ambiguous one', () => {
    const objects = vizStyle();
    const tap = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tap')!;
    const spec = (tap.spec as any).template.spec;
    spec.volumes.push({ name: 'creds', secret: { secretName: 'tap-creds' } });
    spec.containers[0].volumeMounts.push({ name: 'creds', mountPath: '/var/run/creds' });
    assert.ok(summary(objects).some((n) => n.secret === 'linkerd-viz/tap-k8s-tls'));
    spec.volumes.push({ name: 'other', secret: { secretName: 'other-tls' } });
    spec.containers[0].volumeMounts.push({ name: 'other', mountPath: '/var/run/other-tls' });
    assert.ok(!summary(objects).some((n) => n.secret === 'linkerd-viz/tap-k8s-tls'));
  });
});
