// Control-plane Deployments (identity, destination, proxy-injector) and what HA adds to them:
// 3 replicas, anti-affinity, resource requests, PodDisruptionBudgets.
import {
  ANNOTATION_PROXY_VERSION,
  ANNOTATION_TRUST_ROOT_SHA256,
  LABEL_CONTROL_PLANE_COMPONENT,
} from '../../constants';
import { placeholder } from '../placeholders';
import type { KubeObject } from '../yaml-bundle';
import { withProxy } from './proxy';
import { componentLabels, image, kubeObject, type RenderContext } from './render-context';

type Component = 'identity' | 'destination' | 'proxy-injector';
type Container = Record<string, unknown>;

const port = (name: string, containerPort: number) => ({ name, containerPort });
const probes = (adminPort: number) => ({
  livenessProbe: { httpGet: { path: '/ping', port: adminPort }, initialDelaySeconds: 10 },
  readinessProbe: { httpGet: { path: '/ready', port: adminPort }, failureThreshold: 7 },
});

function controllerArgs(ctx: RenderContext, command: string, extra: string[] = []): string[] {
  return [
    command,
    '-log-level=info',
    '-log-format=plain',
    `-controller-namespace=${ctx.namespace}`,
    ...extra,
  ];
}

function containers(ctx: RenderContext, component: Component): Container[] {
  const trustDomain = `-identity-trust-domain=${placeholder('trustDomain')}`;
  const controller = image(ctx, 'controller');
  switch (component) {
    case 'identity':
      return [
        {
          name: 'identity',
          image: controller,
          args: controllerArgs(ctx, 'identity', [
            trustDomain,
            '-identity-issuance-lifetime=24h0m0s',
            '-identity-scheme=linkerd.io/tls',
          ]),
          ports: [port('grpc', 8080), port('admin-http', 9990)],
          ...probes(9990),
          volumeMounts: [
            { name: 'identity-issuer', mountPath: '/var/run/linkerd/identity/issuer' },
            { name: 'trust-roots', mountPath: '/var/run/linkerd/identity/trust-roots/' },
          ],
        },
      ];
    case 'destination':
      return [
        {
          name: 'destination',
          image: controller,
          args: controllerArgs(ctx, 'destination', [trustDomain, '-enable-endpoint-slices=true']),
          ports: [port('grpc', 8086), port('admin-http', 9996)],
          ...probes(9996),
        },
        {
          name: 'sp-validator',
          image: controller,
          args: controllerArgs(ctx, 'sp-validator'),
          ports: [port('sp-validator', 8443), port('admin-http', 9997)],
          ...probes(9997),
          volumeMounts: [{ name: 'sp-tls', mountPath: '/var/run/linkerd/tls', readOnly: true }],
        },
        {
          name: 'policy',
          image: image(ctx, 'policy-controller'),
          args: [
            '--admin-addr=0.0.0.0:9990',
            `--control-plane-namespace=${ctx.namespace}`,
            '--grpc-addr=0.0.0.0:8090',
            '--server-addr=0.0.0.0:9443',
            `--identity-domain=${placeholder('trustDomain')}`,
          ],
          ports: [port('grpc', 8090), port('admin-http', 9990), port('policy-https', 9443)],
          livenessProbe: { httpGet: { path: '/live', port: 'admin-http' } },
          readinessProbe: { httpGet: { path: '/ready', port: 'admin-http' }, failureThreshold: 7 },
          volumeMounts: [{ name: 'policy-tls', mountPath: '/var/run/linkerd/tls', readOnly: true }],
        },
      ];
    case 'proxy-injector':
      return [
        {
          name: 'proxy-injector',
          image: controller,
          args: controllerArgs(ctx, 'proxy-injector'),
          ports: [port('proxy-injector', 8443), port('admin-http', 9995)],
          ...probes(9995),
          volumeMounts: [
            { name: 'config', mountPath: '/var/run/linkerd/config' },
            { name: 'tls', mountPath: '/var/run/linkerd/tls', readOnly: true },
          ],
        },
      ];
  }
}

const VOLUMES: Record<Component, unknown[]> = {
  identity: [
    { name: 'identity-issuer', secret: { secretName: 'linkerd-identity-issuer' } },
    { name: 'trust-roots', configMap: { name: 'linkerd-identity-trust-roots' } },
  ],
  destination: [
    { name: 'sp-tls', secret: { secretName: 'linkerd-sp-validator-k8s-tls' } },
    { name: 'policy-tls', secret: { secretName: 'linkerd-policy-validator-k8s-tls' } },
  ],
  'proxy-injector': [
    { name: 'config', configMap: { name: 'linkerd-config' } },
    { name: 'tls', secret: { secretName: 'linkerd-proxy-injector-k8s-tls' } },
  ],
};

function antiAffinity(component: Component): Record<string, unknown> {
  const labelSelector = {
    matchExpressions: [{ key: LABEL_CONTROL_PLANE_COMPONENT, operator: 'In', values: [component] }],
  };
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector, topologyKey: 'kubernetes.io/hostname' },
      ],
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector, topologyKey: 'topology.kubernetes.io/zone' } },
      ],
    },
  };
}

function podSpec(ctx: RenderContext, component: Component): Record<string, unknown> {
  const own = containers(ctx, component).map((c) =>
    ctx.ha
      ? { ...c, resources: { requests: { cpu: '100m', memory: '50Mi' }, limits: { memory: '250Mi' } } }
      : c,
  );
  return {
    serviceAccountName: `linkerd-${component}`,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    ...(ctx.ha ? { affinity: antiAffinity(component) } : {}),
    ...withProxy(ctx, own),
    volumes: VOLUMES[component],
  };
}

export function deployment(ctx: RenderContext, component: Component): KubeObject {
  const name = `linkerd-${component}`;
  const labels = componentLabels(ctx, component);
  const podLabels = {
    ...labels,
    'linkerd.io/workload-ns': ctx.namespace,
    'linkerd.io/proxy-deployment': name,
  };
  const podAnnotations = {
    'linkerd.io/created-by': ctx.createdBy,
    [ANNOTATION_PROXY_VERSION]: ctx.release.version,
    // The chart stamps the hash of the anchors it rendered with; the agent fills it.
    [ANNOTATION_TRUST_ROOT_SHA256]: placeholder('trustAnchorsPEM', 'sha256'),
    'linkerd.io/identity-mode': 'default',
    'config.linkerd.io/default-inbound-policy': 'all-unauthenticated',
  };
  return kubeObject(
    ctx,
    'apps/v1',
    'Deployment',
    name,
    {
      spec: {
        replicas: ctx.replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: labels },
        strategy: {
          rollingUpdate: ctx.ha
            ? { maxUnavailable: 1, maxSurge: '25%' }
            : { maxUnavailable: '25%', maxSurge: '25%' },
        },
        template: {
          metadata: { labels: podLabels, annotations: podAnnotations },
          spec: podSpec(ctx, component),
        },
      },
    },
    {
      labels: {
        ...labels,
        'app.kubernetes.io/name': component,
        'app.kubernetes.io/part-of': 'Linkerd',
        'app.kubernetes.io/version': ctx.release.version,
      },
    },
  );
}

/** HA only: one disruption at a time, so a drain never takes a component down. */
export function disruptionBudget(ctx: RenderContext, component: Component): KubeObject[] {
  if (!ctx.ha) return [];
  const name = component === 'destination' ? 'linkerd-dst' : `linkerd-${component}`;
  return [
    kubeObject(
      ctx,
      'policy/v1',
      'PodDisruptionBudget',
      name,
      { spec: { maxUnavailable: 1, selector: { matchLabels: componentLabels(ctx, component) } } },
      { labels: componentLabels(ctx, component) },
    ),
  ];
}
