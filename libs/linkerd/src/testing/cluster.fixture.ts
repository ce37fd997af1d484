// A realistic cluster snapshot built in code: a Linkerd control plane, a meshed namespace,
// an unmeshed one. Tests start from it and break one thing at a time.
import { createHash } from 'node:crypto';
import type { V1Container, V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { ClusterSnapshot } from '../snapshot';
import type { TestPki } from './pki.fixture';

export const NOW = new Date('2026-07-01T12:00:00Z');
export const CP_VERSION = 'edge-26.6.3';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export interface PodSpec {
  ns: string;
  name: string;
  meshed?: boolean;
  nativeSidecar?: boolean;
  version?: string;
  /** Owner: Deployment via ReplicaSet unless `owner` says otherwise. */
  deployment?: string;
  owner?: { kind: string; name: string };
  phase?: string;
  ready?: boolean;
  trustPem?: string;
  trustSha?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ip?: string;
  probePort?: number;
  cpNs?: string;
}

export function pod(o: PodSpec): V1Pod {
  const hash = '5d8f7c9b4';
  const version = o.version ?? CP_VERSION;
  const ready = o.ready ?? true;
  const proxy: V1Container = {
    name: 'linkerd-proxy',
    image: `cr.l5d.io/linkerd/proxy:${version}`,
    env: o.trustPem ? [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: o.trustPem }] : [],
    ...(o.nativeSidecar ? { restartPolicy: 'Always' } : {}),
  };
  const app: V1Container = {
    name: 'app',
    image: 'example/app:1.0',
    ports: [{ name: 'http', containerPort: 8080 }],
    ...(o.probePort ? { readinessProbe: { httpGet: { path: '/ready', port: 'http' } } } : {}),
  };
  const meshed = o.meshed ?? true;
  const owner =
    o.owner ?? (o.deployment ? { kind: 'ReplicaSet', name: `${o.deployment}-${hash}` } : undefined);
  const proxyStatus = { name: 'linkerd-proxy', ready, restartCount: 0, image: proxy.image!, imageID: '' };
  return {
    metadata: {
      namespace: o.ns,
      name: o.name,
      labels: {
        ...(o.deployment ? { 'pod-template-hash': hash } : {}),
        ...(meshed ? { 'linkerd.io/control-plane-ns': o.cpNs ?? 'linkerd' } : {}),
        ...o.labels,
      },
      annotations: {
        ...(meshed ? { 'linkerd.io/proxy-version': version } : {}),
        ...(meshed && o.trustSha ? { 'linkerd.io/trust-root-sha256': o.trustSha } : {}),
        ...o.annotations,
      },
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: 'u', controller: true },
            ],
          }
        : {}),
    },
    spec: {
      containers: meshed && !o.nativeSidecar ? [app, proxy] : [app],
      ...(meshed && o.nativeSidecar ? { initContainers: [proxy] } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: o.ip ?? '10.0.0.10',
      containerStatuses: [
        { name: 'app', ready, restartCount: 0, image: app.image!, imageID: '' },
        ...(meshed && !o.nativeSidecar ? [proxyStatus] : []),
      ],
      ...(meshed && o.nativeSidecar ? { initContainerStatuses: [proxyStatus] } : {}),
    },
  };
}

function deployment(
  ns: string,
  name: string,
  available: number,
  annotations?: Record<string, string>,
): V1Deployment {
  return {
    metadata: { namespace: ns, name },
    spec: { selector: {}, template: { metadata: { annotations: annotations ?? {} } } },
    status: { replicas: available, availableReplicas: available, readyReplicas: available },
  };
}

function tlsSecret(ns: string, name: string, certPem: string): V1Secret {
  // The key is a placeholder: tests assert it never appears in any output.
  return {
    metadata: { namespace: ns, name },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64('PRIVATE-KEY-MUST-NOT-LEAK') },
  };
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export interface ClusterOptions {
  version?: string;
  ha?: boolean;
  controllerReplicas?: number;
}

const CRDS = [
  'authorizationpolicies.policy.linkerd.io',
  'httproutes.policy.linkerd.io',
  'meshtlsauthentications.policy.linkerd.io',
  'networkauthentications.policy.linkerd.io',
  'serverauthorizations.policy.linkerd.io',
  'servers.policy.linkerd.io',
  'serviceprofiles.linkerd.io',
  'externalworkloads.workload.linkerd.io',
  'httplocalratelimitpolicies.policy.linkerd.io',
  'egressnetworks.policy.linkerd.io',
];

/** Healthy Linkerd `edge-26.6.3`: namespace `shop` meshed (3 pods), `legacy` not injected (2 pods). */
export function healthyCluster(pki: TestPki, o: ClusterOptions = {}): ClusterSnapshot {
  const version = o.version ?? CP_VERSION;
  const anchors = pki.anchor.pem;
  const values = [
    `linkerdVersion: ${version}`,
    `highAvailability: ${o.ha ?? false}`,
    `controllerReplicas: ${o.controllerReplicas ?? 1}`,
    'identity:',
    '  issuer:',
    '    scheme: linkerd.io/tls',
    'identityTrustAnchorsPEM: |',
    ...anchors
      .trim()
      .split('\n')
      .map((l) => `  ${l}`),
  ].join('\n');
  const cpPod = (component: string, i: number) =>
    pod({
      ns: 'linkerd',
      name: `linkerd-${component}-${i}`,
      deployment: `linkerd-${component}`,
      nativeSidecar: true,
      version,
      trustPem: anchors,
      labels: { 'linkerd.io/control-plane-component': component },
    });
  const webhook = (pem: string) => [
    { name: 'w', clientConfig: { caBundle: b64(pem) }, sideEffects: 'None', admissionReviewVersions: ['v1'] },
  ];
  const replicas = o.controllerReplicas ?? 1;
  const components = ['destination', 'identity', 'proxy-injector'];
  return {
    kubernetesVersion: 'v1.32.3',
    now: NOW,
    namespaces: [
      {
        metadata: {
          name: 'linkerd',
          labels: { 'linkerd.io/is-control-plane': 'true' },
          annotations: { 'linkerd.io/inject': 'disabled' },
        },
      },
      { metadata: { name: 'shop', annotations: { 'linkerd.io/inject': 'enabled' } } },
      { metadata: { name: 'legacy' } },
      { metadata: { name: 'kube-system' } },
    ],
    pods: [
      ...components.flatMap((c) => Array.from({ length: replicas }, (_, i) => cpPod(c, i))),
      pod({
        ns: 'shop',
        name: 'web-5d8f7c9b4-aaaaa',
        deployment: 'web',
        trustSha: sha256Hex(anchors),
        ip: '10.0.1.1',
      }),
      pod({ ns: 'shop', name: 'web-5d8f7c9b4-bbbbb', deployment: 'web', trustPem: anchors, ip: '10.0.1.2' }),
      pod({
        ns: 'shop',
        name: 'db-0',
        owner: { kind: 'StatefulSet', name: 'db' },
        trustPem: anchors,
        ip: '10.0.1.3',
      }),
      pod({ ns: 'legacy', name: 'api-5d8f7c9b4-ccccc', deployment: 'api', meshed: false, ip: '10.0.2.1' }),
      pod({ ns: 'legacy', name: 'api-5d8f7c9b4-ddddd', deployment: 'api', meshed: false, ip: '10.0.2.2' }),
      pod({ ns: 'kube-system', name: 'coredns-1', meshed: false }),
    ],
    deployments: [
      ...components.map((c) => deployment('linkerd', `linkerd-${c}`, replicas)),
      deployment('shop', 'web', 2),
      deployment('legacy', 'api', 2),
    ],
    daemonSets: [],
    configMaps: [
      { metadata: { namespace: 'linkerd', name: 'linkerd-config' }, data: { values } },
      {
        metadata: { namespace: 'linkerd', name: 'linkerd-identity-trust-roots' },
        data: { 'ca-bundle.crt': anchors },
      },
    ],
    secrets: [
      {
        metadata: { namespace: 'linkerd', name: 'linkerd-identity-issuer' },
        data: { 'crt.pem': b64(pki.issuer.pem), 'key.pem': b64('PRIVATE-KEY-MUST-NOT-LEAK') },
      },
      tlsSecret('linkerd', 'linkerd-proxy-injector-k8s-tls', pki.injector.pem),
      tlsSecret('linkerd', 'linkerd-sp-validator-k8s-tls', pki.spValidator.pem),
      tlsSecret('linkerd', 'linkerd-policy-validator-k8s-tls', pki.policyValidator.pem),
    ],
    crds: CRDS.map((name) => ({
      metadata: { name },
      spec: { group: '', names: { kind: '', plural: '' }, scope: '', versions: [] },
    })),
    mutatingWebhooks: [
      { metadata: { name: 'linkerd-proxy-injector-webhook-config' }, webhooks: webhook(pki.injector.pem) },
    ],
    validatingWebhooks: [
      { metadata: { name: 'linkerd-sp-validator-webhook-config' }, webhooks: webhook(pki.spValidator.pem) },
      {
        metadata: { name: 'linkerd-policy-validator-webhook-config' },
        webhooks: webhook(pki.policyValidator.pem),
      },
    ],
  };
}

/** Replaces the secret with that name (namespace linkerd) by a new one. */
export function withSecret(s: ClusterSnapshot, secret: V1Secret): ClusterSnapshot {
  const name = secret.metadata?.name;
  return { ...s, secrets: [...s.secrets.filter((x) => x.metadata?.name !== name), secret] };
}

export function issuerSecret(certPem: string): V1Secret {
  return {
    metadata: { namespace: 'linkerd', name: 'linkerd-identity-issuer' },
    data: { 'crt.pem': b64(certPem), 'key.pem': b64('PRIVATE-KEY-MUST-NOT-LEAK') },
  };
}
