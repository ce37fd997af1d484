// The objects `linkerd install` (chart linkerd-control-plane + linkerd-crds) creates, per
// linkerd.md §3.2–3.3: names, kinds, labels and linkerd-config values. Used to start
// clusters with Linkerd already installed, the way imported clusters arrive.
import { stringify } from 'yaml';
import { KubeObject } from '../store/types';
import { InjectionConfig, injectPod } from './proxy-spec';

export interface ControlPlaneInput {
  version: string;
  namespace: string;
  ha: boolean;
  nativeSidecar: boolean;
  trustAnchorsPem: string;
  issuerCertPem: string;
  issuerKeyPem: string;
  webhookCerts: Record<
    'proxy-injector' | 'sp-validator' | 'policy-validator',
    { certPem: string; keyPem: string }
  >;
}

const LINKERD_CRDS: Array<[group: string, plural: string, kind: string, versions: string[]]> = [
  ['policy.linkerd.io', 'authorizationpolicies', 'AuthorizationPolicy', ['v1alpha1']],
  ['policy.linkerd.io', 'egressnetworks', 'EgressNetwork', ['v1alpha1']],
  ['policy.linkerd.io', 'httplocalratelimitpolicies', 'HTTPLocalRateLimitPolicy', ['v1alpha1']],
  ['policy.linkerd.io', 'httproutes', 'HTTPRoute', ['v1beta3', 'v1beta2', 'v1beta1']],
  ['policy.linkerd.io', 'meshtlsauthentications', 'MeshTLSAuthentication', ['v1alpha1']],
  ['policy.linkerd.io', 'networkauthentications', 'NetworkAuthentication', ['v1alpha1']],
  ['policy.linkerd.io', 'serverauthorizations', 'ServerAuthorization', ['v1beta1']],
  ['policy.linkerd.io', 'servers', 'Server', ['v1beta3', 'v1beta2', 'v1beta1']],
  ['linkerd.io', 'serviceprofiles', 'ServiceProfile', ['v1alpha2']],
  ['workload.linkerd.io', 'externalworkloads', 'ExternalWorkload', ['v1beta1']],
];

export function linkerdCrds(version: string): KubeObject[] {
  return LINKERD_CRDS.map(([group, plural, kind, versions]) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${group}`,
      labels: { 'linkerd.io/control-plane-ns': 'linkerd', 'helm.sh/chart': 'linkerd-crds' },
      annotations: { 'linkerd.io/created-by': `linkerd/helm ${version}` },
    },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  }));
}

function meta(
  name: string,
  ns: string | undefined,
  component: string,
  version: string,
  extraLabels: Record<string, string> = {},
) {
  return {
    name,
    ...(ns ? { namespace: ns } : {}),
    labels: {
      'linkerd.io/control-plane-component': component,
      'linkerd.io/control-plane-ns': 'linkerd',
      ...extraLabels,
    },
    annotations: { 'linkerd.io/created-by': `linkerd/helm ${version}` },
  };
}

export function controlPlaneObjects(input: ControlPlaneInput): KubeObject[] {
  const { namespace: ns, version } = input;
  const replicas = input.ha ? 3 : 1;
  const out: KubeObject[] = [];
  const add = (o: KubeObject): void => {
    out.push(o);
  };
  add({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        'linkerd.io/is-control-plane': 'true',
        'config.linkerd.io/admission-webhooks': 'disabled',
        'linkerd.io/control-plane-ns': ns,
        'pod-security.kubernetes.io/enforce': 'privileged',
      },
      annotations: { 'linkerd.io/inject': 'disabled' },
    },
  });
  for (const sa of ['linkerd-identity', 'linkerd-destination', 'linkerd-proxy-injector', 'linkerd-heartbeat'])
    add({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(sa, ns, sa.replace('linkerd-', ''), version),
    });
  for (const role of [
    `linkerd-${ns}-identity`,
    `linkerd-${ns}-destination`,
    `linkerd-${ns}-proxy-injector`,
    'linkerd-policy',
    'linkerd-heartbeat',
  ]) {
    add({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(role, undefined, 'controller', version),
      rules: [
        { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    const sa = role.endsWith('identity')
      ? 'linkerd-identity'
      : role.endsWith('proxy-injector')
        ? 'linkerd-proxy-injector'
        : role === 'linkerd-heartbeat'
          ? 'linkerd-heartbeat'
          : 'linkerd-destination';
    add({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(role, undefined, 'controller', version),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    });
  }
  const values = {
    linkerdVersion: version,
    controllerReplicas: replicas,
    highAvailability: input.ha,
    enablePodDisruptionBudget: input.ha,
    enablePodAntiAffinity: input.ha,
    webhookFailurePolicy: input.ha ? 'Fail' : 'Ignore',
    clusterDomain: 'cluster.local',
    clusterNetworks: '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8',
    identityTrustAnchorsPEM: input.trustAnchorsPem,
    identityTrustDomain: 'cluster.local',
    identity: {
      externalCA: false,
      issuer: {
        scheme: 'linkerd.io/tls',
        issuanceLifetime: '24h0m0s',
        clockSkewAllowance: '20s',
        tls: { crtPEM: input.issuerCertPem },
      },
    },
    proxy: {
      image: { name: 'cr.l5d.io/linkerd/proxy', version },
      nativeSidecar: input.nativeSidecar,
      ports: { admin: 4191, control: 4190, inbound: 4143, outbound: 4140 },
      defaultInboundPolicy: 'all-unauthenticated',
      // The chart leaves every proxy resource empty; values-ha.yaml requests 100m / 20Mi and
      // limits memory to 250Mi, so HA proxies can be OOM-killed at 250Mi.
      resources: input.ha
        ? { cpu: { request: '100m', limit: '' }, memory: { request: '20Mi', limit: '250Mi' } }
        : { cpu: { request: '', limit: '' }, memory: { request: '', limit: '' } },
    },
    cniEnabled: false,
    disableHeartBeat: false,
    'linkerd-crds-chart-version': version,
  };
  add({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('linkerd-config', ns, 'controller', version),
    data: { values: stringify(values) },
  });
  add({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('linkerd-identity-trust-roots', ns, 'identity', version),
    data: { 'ca-bundle.crt': input.trustAnchorsPem },
  });
  add({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('linkerd-identity-issuer', ns, 'identity', version),
    type: 'Opaque',
    data: { 'crt.pem': b64(input.issuerCertPem), 'key.pem': b64(input.issuerKeyPem) },
  });
  for (const [comp, cert] of Object.entries(input.webhookCerts))
    add({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`linkerd-${comp}-k8s-tls`, ns, comp, version),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    });
  const services: Array<[string, string, number]> = [
    ['linkerd-dst', 'destination', 8086],
    ['linkerd-dst-headless', 'destination', 8086],
    ['linkerd-sp-validator', 'destination', 443],
    ['linkerd-policy', 'destination', 8090],
    ['linkerd-policy-validator', 'destination', 443],
    ['linkerd-identity', 'identity', 8080],
    ['linkerd-identity-headless', 'identity', 8080],
    ['linkerd-proxy-injector', 'proxy-injector', 443],
  ];
  for (const [name, comp, port] of services)
    add({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, ns, comp, version),
      spec: {
        type: 'ClusterIP',
        ...(name.endsWith('headless') ? { clusterIP: 'None' } : {}),
        selector: { 'linkerd.io/control-plane-component': comp },
        ports: [{ name: 'grpc', port, targetPort: port, protocol: 'TCP' }],
      },
    });
  const cfg: InjectionConfig = {
    version,
    controlPlaneNs: ns,
    trustAnchorsPem: input.trustAnchorsPem,
    trustDomain: 'cluster.local',
    nativeSidecar: input.nativeSidecar,
    cniEnabled: false,
  };
  const deployments: Array<[string, string, Array<[string, number[]]>]> = [
    ['linkerd-identity', 'identity', [['identity', [8080, 9990]]]],
    [
      'linkerd-destination',
      'destination',
      [
        ['destination', [8086, 9996]],
        ['sp-validator', [8443, 9997]],
        ['policy', [8090, 9990, 9443]],
      ],
    ],
    ['linkerd-proxy-injector', 'proxy-injector', [['proxy-injector', [8443, 9995]]]],
  ];
  for (const [name, comp, containers] of deployments) {
    const labels = {
      'linkerd.io/control-plane-component': comp,
      'linkerd.io/control-plane-ns': ns,
      'linkerd.io/proxy-deployment': name,
    };
    const podTemplate = injectPod(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { labels, annotations: { 'linkerd.io/inject': 'disabled' }, namespace: ns },
        spec: {
          serviceAccountName: name,
          containers: containers.map(([c, ports]) => ({
            // values-ha.yaml: 100m / 50Mi requested, 250Mi limit (identity requests 10Mi).
            ...(input.ha
              ? {
                  resources: {
                    requests: { cpu: '100m', memory: c === 'identity' ? '10Mi' : '50Mi' },
                    limits: { memory: '250Mi' },
                  },
                }
              : {}),
            name: c,
            image: `cr.l5d.io/linkerd/${c === 'proxy-injector' || c === 'sp-validator' ? 'controller' : c === 'policy' ? 'policy-controller' : 'controller'}:${version}`,
            ports: ports.map((p) => ({
              containerPort: p,
              ...(PORT_NAMES[`${c}:${p}`] ? { name: PORT_NAMES[`${c}:${p}`] } : {}),
            })),
          })),
        },
      },
      cfg,
      values.proxy.resources,
    );
    const { namespace: _ns, ...templateMeta } = podTemplate.metadata;
    add({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, ns, comp, version, {
        'app.kubernetes.io/name': comp,
        'app.kubernetes.io/part-of': 'Linkerd',
        'app.kubernetes.io/version': version,
      }),
      spec: {
        replicas,
        selector: {
          matchLabels: {
            'linkerd.io/control-plane-component': comp,
            'linkerd.io/control-plane-ns': ns,
            'linkerd.io/proxy-deployment': name,
          },
        },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: '25%', maxUnavailable: input.ha ? 1 : '25%' },
        },
        template: { metadata: templateMeta, spec: podTemplate['spec'] },
      },
    });
    if (input.ha)
      add({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: meta(name, ns, comp, version),
        spec: {
          maxUnavailable: 1,
          selector: { matchLabels: { 'linkerd.io/control-plane-component': comp } },
        },
      });
  }
  add({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('linkerd-heartbeat', ns, 'heartbeat', version),
    spec: {
      schedule: '0 0 * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: {
              serviceAccountName: 'linkerd-heartbeat',
              restartPolicy: 'Never',
              containers: [{ name: 'heartbeat', image: `cr.l5d.io/linkerd/controller:${version}` }],
            },
          },
        },
      },
    },
  });
  const caBundle = (c: string): string =>
    b64(input.webhookCerts[c as keyof ControlPlaneInput['webhookCerts']].certPem);
  const failurePolicy = input.ha ? 'Fail' : 'Ignore';
  add({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: meta('linkerd-proxy-injector-webhook-config', undefined, 'proxy-injector', version),
    webhooks: [
      {
        name: 'linkerd-proxy-injector.linkerd.io',
        clientConfig: {
          service: { name: 'linkerd-proxy-injector', namespace: ns, path: '/' },
          caBundle: caBundle('proxy-injector'),
        },
        failurePolicy,
        admissionReviewVersions: ['v1', 'v1beta1'],
        sideEffects: 'None',
        namespaceSelector: {
          matchExpressions: [
            { key: 'config.linkerd.io/admission-webhooks', operator: 'NotIn', values: ['disabled'] },
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: ['kube-system', 'cert-manager'],
            },
          ],
        },
        rules: [
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'services'] },
        ],
      },
    ],
  });
  for (const [name, comp] of [
    ['linkerd-sp-validator-webhook-config', 'sp-validator'],
    ['linkerd-policy-validator-webhook-config', 'policy-validator'],
  ] as const)
    add({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: meta(name, undefined, comp, version),
      webhooks: [
        {
          name: `linkerd-${comp}.linkerd.io`,
          clientConfig: {
            service: { name: `linkerd-${comp}`, namespace: ns, path: '/' },
            caBundle: caBundle(comp),
          },
          failurePolicy,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          rules: [],
        },
      ],
    });
  return out;
}

/** Named container ports as the chart declares them (probes and the pod proxy refer to them). */
const PORT_NAMES: Record<string, string> = {
  'proxy-injector:8443': 'proxy-injector',
  'proxy-injector:9995': 'injector-admin',
};

const b64 = (s: string): string => Buffer.from(s).toString('base64');
