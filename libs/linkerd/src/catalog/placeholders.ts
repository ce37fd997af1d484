// Identity material never lives in a catalog bundle: bundles carry `{{meshfleet.<name>}}` tokens
// that the agent fills at apply time with material generated for that cluster. A `|base64` or
// `|sha256` suffix encodes the value where Kubernetes wants it encoded (Secret data, caBundle,
// the trust-root hash annotation), so callers always pass plain PEM text.
import { createHash } from 'node:crypto';
import { PlaceholderError } from './catalog.errors';
import { isRecord, parseBundleDocuments, stringifyObjects } from './yaml-bundle';
import { ValidationError } from '@meshfleet/core';

export const IDENTITY_PLACEHOLDERS = Object.freeze({
  trustAnchorsPEM: 'Trust anchor certificate(s) of the identity domain, PEM',
  trustDomain: 'Identity trust domain, e.g. cluster.local',
  issuerCertPEM: 'Identity issuer (intermediate CA) certificate, PEM',
  issuerKeyPEM: 'Identity issuer private key, PEM; generated in the cluster, never stored',
  webhookCaPEM: 'CA bundle that signed the three webhook serving certificates, PEM',
  proxyInjectorCertPEM: 'Serving certificate of linkerd-proxy-injector, PEM',
  proxyInjectorKeyPEM: 'Private key of the linkerd-proxy-injector serving certificate, PEM',
  spValidatorCertPEM: 'Serving certificate of linkerd-sp-validator, PEM',
  spValidatorKeyPEM: 'Private key of the linkerd-sp-validator serving certificate, PEM',
  policyValidatorCertPEM: 'Serving certificate of linkerd-policy-validator, PEM',
  policyValidatorKeyPEM: 'Private key of the linkerd-policy-validator serving certificate, PEM',
});

export type PlaceholderName = keyof typeof IDENTITY_PLACEHOLDERS;
export type PlaceholderFilter = 'base64' | 'sha256';
export type PlaceholderValues = Partial<Record<PlaceholderName, string>>;

const TOKEN = /\{\{\s*meshfleet\.([A-Za-z0-9_]+)\s*(?:\|\s*([A-Za-z0-9_]+)\s*)?\}\}/g;
const FILTERS: Record<PlaceholderFilter, (v: string) => string> = {
  base64: (v) => Buffer.from(v, 'utf8').toString('base64'),
  sha256: (v) => createHash('sha256').update(v, 'utf8').digest('hex'),
};

/**
 * Starts a value whose text is filled and then stored base64-encoded: a Secret data key holding a
 * whole YAML document (`linkerd-config-overrides`), so tokens stay readable in the stored bundle.
 */
export const BASE64_TEMPLATE = '{{meshfleet:base64}}\n';

export function base64Template(text: string): string {
  return `${BASE64_TEMPLATE}${text}`;
}

export function isBase64Template(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(BASE64_TEMPLATE);
}

export function isPlaceholderName(name: string): name is PlaceholderName {
  return Object.hasOwn(IDENTITY_PLACEHOLDERS, name);
}

export function placeholder(name: PlaceholderName, filter?: PlaceholderFilter): string {
  return filter ? `{{meshfleet.${name}|${filter}}}` : `{{meshfleet.${name}}}`;
}

/** Names of every `{{meshfleet.*}}` token in the text, known or not, sorted. */
export function placeholdersIn(yaml: string): string[] {
  const names = new Set<string>();
  for (const m of yaml.matchAll(TOKEN)) names.add(m[1] ?? '');
  return [...names].sort();
}

function problems(yaml: string, values: PlaceholderValues): PlaceholderError | null {
  const used = placeholdersIn(yaml);
  const unknown = [...used, ...Object.keys(values)].filter((n) => !isPlaceholderName(n));
  if (unknown.length) {
    return new PlaceholderError(`Unknown placeholders: ${[...new Set(unknown)].join(', ')}`, unknown);
  }
  const badFilters = [...yaml.matchAll(TOKEN)].map((m) => m[2]).filter((f) => f && !(f in FILTERS));
  if (badFilters.length) {
    return new PlaceholderError(`Unknown placeholder encodings: ${badFilters.join(', ')}`, used);
  }
  const missing = used.filter((n) => !values[n as PlaceholderName]);
  if (missing.length)
    return new PlaceholderError(`No value for placeholders: ${missing.join(', ')}`, missing);
  return null;
}

// A token that starts a line (inside an embedded YAML document such as linkerd-config `values`)
// keeps that line's indentation on every line of a multi-line value, so block scalars stay valid.
function fillString(text: string, values: PlaceholderValues): string {
  return text.replace(
    TOKEN,
    (_match, name: PlaceholderName, filter: PlaceholderFilter | undefined, at: number) => {
      const raw = values[name] ?? '';
      const value = filter ? FILTERS[filter](raw) : raw;
      const prefix = text.slice(text.lastIndexOf('\n', at - 1) + 1, at);
      return /^[ \t]+$/.test(prefix) ? value.replace(/\n(?=.)/g, `\n${prefix}`) : value;
    },
  );
}

function fillValue(value: unknown, values: PlaceholderValues): unknown {
  if (isBase64Template(value)) {
    return FILTERS.base64(fillString(value.slice(BASE64_TEMPLATE.length), values));
  }
  if (typeof value === 'string') return fillString(value, values);
  if (Array.isArray(value)) return value.map((v) => fillValue(v, values));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, values)]));
  }
  return value;
}

/**
 * Replaces every token with its value and returns the canonical bundle text. Fails, naming them,
 * on tokens this library does not define, on unknown value names and on tokens without a value.
 */
export function fillPlaceholders(yaml: string, values: PlaceholderValues): string {
  const problem = problems(yaml, values);
  if (problem) throw problem;
  const { objects, errors } = parseBundleDocuments(yaml);
  if (errors.length) throw new ValidationError(errors.join('; '), 'yaml');
  return stringifyObjects(objects.map((o) => fillValue(o, values)));
}
