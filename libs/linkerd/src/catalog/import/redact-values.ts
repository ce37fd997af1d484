// Chart values as real renders embed them: the `values` document of `linkerd-config` (what the
// chart was rendered with, read back by `linkerd check` and `linkerd upgrade`) and the
// `linkerd-config-overrides` Secret the CLI writes (base64 YAML of the flags given to `linkerd
// install`, including the issuer key and trust anchors). Both get placeholders; private keys go.
import { parseDocument } from 'yaml';
import { stringifyChartValues } from '../render/chart-values';
import { base64Template, placeholder, type PlaceholderName } from '../placeholders';
import { isRecord, type KubeObject } from '../yaml-bundle';

export const CONFIG_OVERRIDES_SECRET = 'linkerd-config-overrides';

// Chart values sections that carry webhook certificates, with their placeholders.
const VALUES_CERTS: Record<string, PlaceholderName> = {
  proxyInjector: 'proxyInjectorCertPEM',
  profileValidator: 'spValidatorCertPEM',
  policyValidator: 'policyValidatorCertPEM',
};

export function pathRecord(root: Record<string, unknown>, path: string[]): Record<string, unknown> | null {
  let cur: unknown = root;
  for (const key of path) cur = isRecord(cur) ? cur[key] : undefined;
  return isRecord(cur) ? cur : null;
}

/**
 * `complete`: linkerd-config holds every value, so the trust anchors and domain are always set;
 * overrides hold only what the operator gave, so only present keys are replaced.
 */
function redactValues(values: Record<string, unknown>, complete: boolean): void {
  for (const [key, name] of [
    ['identityTrustAnchorsPEM', 'trustAnchorsPEM'],
    ['identityTrustDomain', 'trustDomain'],
  ] as const) {
    if (complete || key in values) values[key] = placeholder(name);
  }
  const tls = pathRecord(values, ['identity', 'issuer', 'tls']);
  if (tls) {
    if ('crtPEM' in tls) tls['crtPEM'] = placeholder('issuerCertPEM');
    delete tls['keyPEM'];
  }
  for (const [section, cert] of Object.entries(VALUES_CERTS)) {
    const s = pathRecord(values, [section]);
    if (!s) continue;
    if (typeof s['crtPEM'] === 'string' && s['crtPEM'] !== '') s['crtPEM'] = placeholder(cert);
    if (typeof s['caBundle'] === 'string' && s['caBundle'] !== '')
      s['caBundle'] = placeholder('webhookCaPEM');
    delete s['keyPEM'];
  }
}

function redactDocument(raw: string, complete: boolean): string | null {
  const doc = parseDocument(raw);
  if (doc.errors.length) return null;
  const values: unknown = doc.toJS();
  if (!isRecord(values)) return null;
  redactValues(values, complete);
  return stringifyChartValues(values);
}

/** The `values` document of linkerd-config; unreadable text is left to the leftover check. */
export function redactChartValues(raw: string): string {
  return redactDocument(raw, true) ?? raw;
}

/**
 * The overrides Secret: decoded, redacted and kept as a base64 template, so the agent's
 * fillPlaceholders re-encodes it with the cluster's own material at apply time.
 */
export function redactConfigOverrides(o: KubeObject): void {
  for (const field of ['data', 'stringData'] as const) {
    const map = o[field];
    if (!isRecord(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string') continue;
      const text = field === 'data' ? Buffer.from(value, 'base64').toString('utf8') : value;
      const redacted = redactDocument(text, false);
      if (redacted === null) continue;
      map[key] = field === 'data' ? base64Template(redacted) : redacted;
    }
  }
}
