// What `linkerd viz install` renders, as an operator would pipe it into `kubectl apply`: the
// extension namespace, its RBAC, five Deployments injected by the core proxy injector, the tap
// APIService and the tap-injector webhook with their serving Secrets (the chart's default, where
// the render carries generated certificates). Same object names, kinds and labels as a real
// render; contents reduced to what the checks and the simulator look at.
import { DEFAULT_VIZ_NAMESPACE, LABEL_EXTENSION } from '../../constants';
import { stringifyObjects, type KubeObject } from '../yaml-bundle';
import { vizComponents } from '../extensions/render-viz';

export interface VizRenderOptions {
  version: string;
  namespace?: string;
  /** Serving certificates (PEM) for `tap.<ns>.svc` and `tap-injector.<ns>.svc`, and their CA. */
  tap: { certPem: string; keyPem: string };
  tapInjector: { certPem: string; keyPem: string };
  caPem: string;
  /** Leave out a part, to see the checks notice. */
  without?: Array<'clusterRoles' | 'clusterRoleBindings' | 'apiService' | 'tapSecret'>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function vizRenderObjects(o: VizRenderOptions): KubeObject[] {
  const ns = o.namespace ?? DEFAULT_VIZ_NAMESPACE;
  const without = new Set(o.without ?? []);
  const labels = (component?: string) => ({
    [LABEL_EXTENSION]: 'viz',
    ...(component ? { component } : {}),
  });
  const meta = (name: string, component?: string, namespaced = true) => ({
    name,
    ...(namespaced ? { namespace: ns } : {}),
    labels: labels(component),
    annotations: { 'linkerd.io/created-by': `linkerd/cli ${o.version}` },
  });
  const rbac = 'rbac.authorization.k8s.io/v1';
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: { [LABEL_EXTENSION]: 'viz', 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
  ];
  // Role names as the chart has them: most `linkerd-<ns>-<role>`, the tap injector's apart.
  const prefixed = (r: string) => `linkerd-${ns}-${r}`;
  const roles: Array<[string, string, string]> = [
    ['metrics-api', 'metrics-api', 'metrics-api'],
    ['prometheus', 'prometheus', 'prometheus'],
    ['tap', 'tap', 'tap'],
    ['tap-admin', 'tap', ''],
    ['web-check', 'web', 'web'],
    ['web-api', 'web', 'web'],
  ];
  const bindings: Array<[string, string, string]> = [
    ...roles.filter(([r]) => r !== 'tap-admin'),
    ['tap-auth-delegator', 'tap', 'tap'],
    ['web-admin', 'web', 'web'],
  ];
  if (!without.has('clusterRoles')) {
    for (const [name, component] of [
      ...roles.map(([r, c]) => [prefixed(r), c]),
      ['linkerd-tap-injector', ''],
    ]) {
      objects.push({
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: meta(name!, component || undefined, false),
        rules: [
          { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: ['list', 'get', 'watch'] },
        ],
      });
    }
  }
  if (!without.has('clusterRoleBindings')) {
    const all = [
      ...bindings.map(([r, c, sa]) => [prefixed(r), c, sa]),
      ['linkerd-tap-injector', '', 'tap-injector'],
    ];
    for (const [name, component, sa] of all) {
      objects.push({
        apiVersion: rbac,
        kind: 'ClusterRoleBinding',
        metadata: meta(name!, component || undefined, false),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: name! },
        subjects: [{ kind: 'ServiceAccount', name: sa!, namespace: ns }],
      });
    }
  }
  for (const c of vizComponents(o.version)) {
    objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(c.name, c.name) });
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(c.name, c.name),
      spec: {
        type: 'ClusterIP',
        selector: { [LABEL_EXTENSION]: 'viz', component: c.name },
        // TLS servers (tap's API server, the tap injector) listen on 443 by port name.
        ports: c.ports
          .filter((p) => p.name !== 'admin' || c.name === 'prometheus')
          .map((p) =>
            p.name === 'apiserver' || p.name === 'tap-injector'
              ? { name: p.name, port: 443, targetPort: p.name }
              : { name: p.name, port: p.containerPort, targetPort: p.containerPort },
          ),
      },
    });
    const podLabels = { ...labels(c.name), 'linkerd.io/extension': 'viz' };
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        ...meta(c.name, c.name),
        labels: {
          ...labels(c.name),
          'app.kubernetes.io/name': c.name,
          'app.kubernetes.io/part-of': 'Linkerd',
          'app.kubernetes.io/version': o.version,
        },
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: podLabels },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              'linkerd.io/created-by': `linkerd/cli ${o.version}`,
              'linkerd.io/inject': 'enabled',
              'config.alpha.linkerd.io/proxy-wait-before-exit-seconds': '0',
            },
          },
          spec: {
            serviceAccountName: c.name,
            containers: [
              {
                name: c.name,
                image: c.image,
                ports: c.ports,
                ...(c.tls?.secret
                  ? { volumeMounts: [{ name: 'tls', mountPath: '/var/run/linkerd/tls', readOnly: true }] }
                  : {}),
              },
            ],
            ...(c.tls?.secret ? { volumes: [{ name: 'tls', secret: { secretName: c.tls?.secret } }] } : {}),
          },
        },
      },
    });
  }
  const tls = (name: string, component: string, cert: { certPem: string; keyPem: string }): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: meta(name, component),
    data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
  });
  if (!without.has('tapSecret')) objects.push(tls('tap-k8s-tls', 'tap', o.tap));
  objects.push(tls('tap-injector-k8s-tls', 'tap-injector', o.tapInjector));
  if (!without.has('apiService')) {
    objects.push({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: meta('v1alpha1.tap.linkerd.io', 'tap', false),
      spec: {
        group: 'tap.linkerd.io',
        version: 'v1alpha1',
        groupPriorityMinimum: 1000,
        versionPriority: 100,
        service: { name: 'tap', namespace: ns },
        caBundle: b64(o.caPem),
      },
    });
  }
  objects.push({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: meta('linkerd-tap-injector-webhook-config', undefined, false),
    webhooks: [
      {
        name: 'tap-injector.linkerd.io',
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
          ],
        },
        clientConfig: { service: { name: 'tap-injector', namespace: ns, path: '/' }, caBundle: b64(o.caPem) },
        failurePolicy: 'Ignore',
        admissionReviewVersions: ['v1', 'v1beta1'],
        reinvocationPolicy: 'IfNeeded',
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
      },
    ],
  });
  return objects;
}

export function vizRender(o: VizRenderOptions): string {
  return stringifyObjects(vizRenderObjects(o));
}
