// Names, labels and annotations of a Linkerd installation (reference §3.3, §3.4).

export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'linkerd';
export const DEFAULT_VIZ_NAMESPACE = 'linkerd-viz';
/** `linkerd check` warns when a certificate expires within this many days. */
export const DEFAULT_CERT_EXPIRY_WARNING_DAYS = 60;

export const LINKERD_CONFIG_MAP = 'linkerd-config';
export const TRUST_ROOTS_CONFIG_MAP = 'linkerd-identity-trust-roots';
export const TRUST_ROOTS_KEY = 'ca-bundle.crt';
export const ISSUER_SECRET = 'linkerd-identity-issuer';

export const PROXY_CONTAINER = 'linkerd-proxy';
export const TRUST_ANCHORS_ENV = 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS';

export const LABEL_CONTROL_PLANE_NS = 'linkerd.io/control-plane-ns';
export const LABEL_CONTROL_PLANE_COMPONENT = 'linkerd.io/control-plane-component';
export const LABEL_EXTENSION = 'linkerd.io/extension';
export const ANNOTATION_INJECT = 'linkerd.io/inject';
export const ANNOTATION_PROXY_VERSION = 'linkerd.io/proxy-version';
export const ANNOTATION_TRUST_ROOT_SHA256 = 'linkerd.io/trust-root-sha256';

/** Deployments whose pods `linkerd check` requires (control plane pods are ready / HA replicas). */
export const CONTROL_PLANE_COMPONENTS = ['destination', 'identity', 'proxy-injector'] as const;

export const PROXY_INJECTOR_WEBHOOK = 'linkerd-proxy-injector-webhook-config';
export const SP_VALIDATOR_WEBHOOK = 'linkerd-sp-validator-webhook-config';
export const POLICY_VALIDATOR_WEBHOOK = 'linkerd-policy-validator-webhook-config';

/** Webhook serving certificates: current secret name, then the pre-2.12 name the CLI falls back to. */
export const WEBHOOK_CERTS = [
  {
    component: 'proxy-injector',
    secrets: ['linkerd-proxy-injector-k8s-tls', 'linkerd-proxy-injector-tls'],
    service: 'linkerd-proxy-injector',
    webhook: { kind: 'mutating', name: PROXY_INJECTOR_WEBHOOK },
  },
  {
    component: 'sp-validator',
    secrets: ['linkerd-sp-validator-k8s-tls', 'linkerd-sp-validator-tls'],
    service: 'linkerd-sp-validator',
    webhook: { kind: 'validating', name: SP_VALIDATOR_WEBHOOK },
  },
  {
    component: 'policy-validator',
    secrets: ['linkerd-policy-validator-k8s-tls'],
    service: 'linkerd-policy-validator',
    webhook: { kind: 'validating', name: POLICY_VALIDATOR_WEBHOOK },
  },
] as const;
export type WebhookCertSpec = (typeof WEBHOOK_CERTS)[number];

/** Namespaces never counted in pod coverage: system and mesh infrastructure. */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;
