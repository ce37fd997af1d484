// Replaces the identity material of an imported control plane with placeholders. Imports come
// from a real render, so they hold the operator's trust anchors, an issuer key and webhook keys;
// none of it may be stored, and each cluster gets its own at apply time.
// Works on freshly parsed objects owned by the import, so it edits them in place.
import {
  ANNOTATION_TRUST_ROOT_SHA256,
  ISSUER_SECRET,
  LINKERD_CONFIG_MAP,
  TRUST_ANCHORS_ENV,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
  WEBHOOK_CERTS,
} from '../../constants';
import { placeholder, type PlaceholderName } from '../placeholders';
import { isRecord, type KubeObject } from '../yaml-bundle';
import {
  CONFIG_OVERRIDES_SECRET,
  pathRecord,
  redactChartValues,
  redactConfigOverrides,
} from './redact-values';

type SecretKeys = Record<string, PlaceholderName>;

const ISSUER_KEYS: SecretKeys = {
  'crt.pem': 'issuerCertPEM',
  'key.pem': 'issuerKeyPEM',
  // kubernetes.io/tls scheme (cert-manager): same material under the standard names.
  'tls.crt': 'issuerCertPEM',
  'tls.key': 'issuerKeyPEM',
  'ca.crt': 'trustAnchorsPEM',
};

export const WEBHOOK_KEYS: Record<string, SecretKeys> = {
  'proxy-injector': { 'tls.crt': 'proxyInjectorCertPEM', 'tls.key': 'proxyInjectorKeyPEM' },
  'sp-validator': { 'tls.crt': 'spValidatorCertPEM', 'tls.key': 'spValidatorKeyPEM' },
  'policy-validator': { 'tls.crt': 'policyValidatorCertPEM', 'tls.key': 'policyValidatorKeyPEM' },
};

function secretKeys(name: string): SecretKeys | null {
  if (name === ISSUER_SECRET) return ISSUER_KEYS;
  const webhook = WEBHOOK_CERTS.find((w) => (w.secrets as readonly string[]).includes(name));
  return webhook ? { ...WEBHOOK_KEYS[webhook.component], 'ca.crt': 'webhookCaPEM' } : null;
}

// `data` is base64 and `stringData` plain text; unknown keys of a known Secret are dropped,
// because they can only be more key material.
function redactSecret(o: KubeObject, keys: SecretKeys): void {
  // The issuer's expiry date describes the operator's certificate, not the one applied later.
  delete o.metadata.annotations?.['linkerd.io/identity-issuer-expiry'];
  for (const [field, filter] of [
    ['data', 'base64'],
    ['stringData', undefined],
  ] as const) {
    const map = o[field];
    if (!isRecord(map)) continue;
    o[field] = Object.fromEntries(
      Object.keys(map)
        .filter((k) => keys[k] !== undefined)
        .map((k) => [k, placeholder(keys[k] as PlaceholderName, filter)]),
    );
  }
}

function redactConfigMap(o: KubeObject): void {
  const data = o['data'];
  if (!isRecord(data)) return;
  if (o.metadata.name === TRUST_ROOTS_CONFIG_MAP && TRUST_ROOTS_KEY in data) {
    data[TRUST_ROOTS_KEY] = placeholder('trustAnchorsPEM');
  }
  if (o.metadata.name === LINKERD_CONFIG_MAP && typeof data['values'] === 'string') {
    data['values'] = redactChartValues(data['values']);
  }
}

function redactWebhooks(o: KubeObject): void {
  const hooks = Array.isArray(o['webhooks']) ? (o['webhooks'] as unknown[]) : [];
  for (const hook of hooks) {
    const client = isRecord(hook) ? hook['clientConfig'] : undefined;
    if (isRecord(client) && 'caBundle' in client) client['caBundle'] = placeholder('webhookCaPEM', 'base64');
  }
}

/** Pod templates of Deployments, CronJobs and friends, wherever they nest. */
function podTemplates(o: KubeObject): Array<Record<string, unknown>> {
  const spec = o['spec'];
  const direct = pathRecord({ spec }, ['spec', 'template']);
  const cron = pathRecord({ spec }, ['spec', 'jobTemplate', 'spec', 'template']);
  return [direct, cron].filter((t): t is Record<string, unknown> => t !== null);
}

// The chart stamps `checksum/config` (a hash over the webhook certificates it generated) so pods
// roll when those change. Keep that behaviour, but over the certificates filled at apply time.
const CHECKSUM_SOURCE: Record<string, PlaceholderName> = {
  'linkerd-proxy-injector': 'proxyInjectorCertPEM',
  'linkerd-destination': 'spValidatorCertPEM',
};

function redactPodTemplate(owner: string, template: Record<string, unknown>): void {
  const annotations = pathRecord(template, ['metadata', 'annotations']);
  if (annotations && ANNOTATION_TRUST_ROOT_SHA256 in annotations) {
    annotations[ANNOTATION_TRUST_ROOT_SHA256] = placeholder('trustAnchorsPEM', 'sha256');
  }
  for (const key of Object.keys(annotations ?? {})) {
    if (annotations && key.startsWith('checksum/')) {
      annotations[key] = placeholder(CHECKSUM_SOURCE[owner] ?? 'webhookCaPEM', 'sha256');
    }
  }
  const spec = pathRecord(template, ['spec']);
  for (const list of ['containers', 'initContainers']) {
    const containers = spec && Array.isArray(spec[list]) ? (spec[list] as unknown[]) : [];
    for (const c of containers) {
      const env = isRecord(c) && Array.isArray(c['env']) ? (c['env'] as unknown[]) : [];
      for (const e of env) {
        // Older charts inlined the anchors; newer ones reference the trust-roots ConfigMap.
        if (isRecord(e) && e['name'] === TRUST_ANCHORS_ENV && typeof e['value'] === 'string') {
          e['value'] = placeholder('trustAnchorsPEM');
        }
      }
    }
  }
}

export function redactIdentityMaterial(objects: KubeObject[]): void {
  for (const o of objects) {
    if (o.kind === 'Secret' && o.metadata.name === CONFIG_OVERRIDES_SECRET) {
      redactConfigOverrides(o);
    } else if (o.kind === 'Secret') {
      const keys = secretKeys(o.metadata.name);
      if (keys) redactSecret(o, keys);
    } else if (o.kind === 'ConfigMap') {
      redactConfigMap(o);
    } else if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') {
      redactWebhooks(o);
    }
    podTemplates(o).forEach((t) => redactPodTemplate(o.metadata.name, t));
  }
}
