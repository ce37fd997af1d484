// The three admission webhooks with their serving-certificate Secrets. Certificates and the
// caBundle are placeholders: the chart generates them per render, the agent per cluster.
import {
  LABEL_CONTROL_PLANE_COMPONENT,
  POLICY_VALIDATOR_WEBHOOK,
  PROXY_INJECTOR_WEBHOOK,
  SP_VALIDATOR_WEBHOOK,
} from '../../constants';
import { placeholder, type PlaceholderName } from '../placeholders';
import type { KubeObject } from '../yaml-bundle';
import { componentLabels, kubeObject, type RenderContext } from './render-context';

interface WebhookSpec {
  component: 'proxy-injector' | 'sp-validator' | 'policy-validator';
  /** Deployment whose pods serve it (labels of the Secret). */
  owner: string;
  secret: string;
  service: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  configName: string;
  cert: PlaceholderName;
  key: PlaceholderName;
  rules: Array<Record<string, unknown>>;
}

const WEBHOOKS: readonly WebhookSpec[] = [
  {
    component: 'proxy-injector',
    owner: 'proxy-injector',
    secret: 'linkerd-proxy-injector-k8s-tls',
    service: 'linkerd-proxy-injector',
    kind: 'MutatingWebhookConfiguration',
    configName: PROXY_INJECTOR_WEBHOOK,
    cert: 'proxyInjectorCertPEM',
    key: 'proxyInjectorKeyPEM',
    rules: [
      { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'services'] },
    ],
  },
  {
    component: 'sp-validator',
    owner: 'destination',
    secret: 'linkerd-sp-validator-k8s-tls',
    service: 'linkerd-sp-validator',
    kind: 'ValidatingWebhookConfiguration',
    configName: SP_VALIDATOR_WEBHOOK,
    cert: 'spValidatorCertPEM',
    key: 'spValidatorKeyPEM',
    rules: [
      {
        operations: ['CREATE', 'UPDATE'],
        apiGroups: ['linkerd.io'],
        apiVersions: ['v1alpha1', 'v1alpha2'],
        resources: ['serviceprofiles'],
      },
    ],
  },
  {
    component: 'policy-validator',
    owner: 'destination',
    secret: 'linkerd-policy-validator-k8s-tls',
    service: 'linkerd-policy-validator',
    kind: 'ValidatingWebhookConfiguration',
    configName: POLICY_VALIDATOR_WEBHOOK,
    cert: 'policyValidatorCertPEM',
    key: 'policyValidatorKeyPEM',
    rules: [
      {
        operations: ['CREATE', 'UPDATE'],
        apiGroups: ['policy.linkerd.io'],
        apiVersions: ['*'],
        resources: [
          'authorizationpolicies',
          'egressnetworks',
          'httplocalratelimitpolicies',
          'httproutes',
          'meshtlsauthentications',
          'networkauthentications',
          'serverauthorizations',
          'servers',
        ],
      },
      {
        operations: ['CREATE', 'UPDATE'],
        apiGroups: ['gateway.networking.k8s.io'],
        apiVersions: ['*'],
        resources: ['httproutes', 'grpcroutes'],
      },
    ],
  },
];

function servingSecret(ctx: RenderContext, w: WebhookSpec): KubeObject {
  return kubeObject(
    ctx,
    'v1',
    'Secret',
    w.secret,
    {
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': placeholder(w.cert, 'base64'), 'tls.key': placeholder(w.key, 'base64') },
    },
    { labels: componentLabels(ctx, w.owner) },
  );
}

// The injector must never see the control plane's own pods or opted-out namespaces.
function selectors(w: WebhookSpec): Record<string, unknown> {
  const namespaceSelector = {
    matchExpressions: [
      { key: 'config.linkerd.io/admission-webhooks', operator: 'NotIn', values: ['disabled'] },
      ...(w.component === 'proxy-injector'
        ? [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'cert-manager'] }]
        : []),
    ],
  };
  if (w.component !== 'proxy-injector') return { namespaceSelector };
  const objectSelector = {
    matchExpressions: [
      { key: LABEL_CONTROL_PLANE_COMPONENT, operator: 'DoesNotExist' },
      { key: 'linkerd.io/cni-resource', operator: 'DoesNotExist' },
    ],
  };
  return { namespaceSelector, objectSelector, reinvocationPolicy: 'IfNeeded' };
}

function webhookConfig(ctx: RenderContext, w: WebhookSpec): KubeObject {
  const webhook = {
    name: `${w.service}.linkerd.io`,
    ...selectors(w),
    clientConfig: {
      service: { name: w.service, namespace: ctx.namespace, path: '/' },
      caBundle: placeholder('webhookCaPEM', 'base64'),
    },
    // HA refuses admission while the webhook is down rather than admitting unmeshed pods.
    failurePolicy: ctx.ha ? 'Fail' : 'Ignore',
    admissionReviewVersions: ['v1', 'v1beta1'],
    rules: w.rules.map((r) => ({ ...r, scope: 'Namespaced' })),
    sideEffects: 'None',
    timeoutSeconds: 10,
  };
  return kubeObject(
    ctx,
    'admissionregistration.k8s.io/v1',
    w.kind,
    w.configName,
    { webhooks: [webhook] },
    {
      namespaced: false,
      labels: componentLabels(ctx, w.owner),
    },
  );
}

export function renderWebhookSecret(ctx: RenderContext, component: WebhookSpec['component']): KubeObject[] {
  return WEBHOOKS.filter((w) => w.component === component).map((w) => servingSecret(ctx, w));
}

export function renderWebhookConfig(ctx: RenderContext, component: WebhookSpec['component']): KubeObject[] {
  return WEBHOOKS.filter((w) => w.component === component).map((w) => webhookConfig(ctx, w));
}
