// Kubernetes naming rules, used wherever a user names something that ends up in a cluster.
import { ValidationError } from './errors';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Returns null when valid, otherwise the reason. */
export function dns1123LabelError(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 63) return 'must be at most 63 characters';
  if (!DNS1123_LABEL.test(value))
    return "must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character";
  return null;
}

/** Label key: optional DNS subdomain prefix (<=253) + '/' + name (<=63). */
export function labelKeyError(key: string): string | null {
  const parts = key.split('/');
  if (parts.length > 2) return 'may contain at most one "/"';
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))
      return 'prefix must be a DNS subdomain of at most 253 characters';
  }
  if (name.length === 0 || name.length > 63) return 'name part must be 1 to 63 characters';
  if (!LABEL_NAME.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";
  return null;
}

export function labelValueError(value: string): string | null {
  if (value.length === 0) return null;
  if (value.length > 63) return 'must be at most 63 characters';
  if (!LABEL_NAME.test(value))
    return "must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";
  return null;
}

export function assertDns1123Label(value: string, field: string): void {
  const err = dns1123LabelError(value);
  if (err) throw new ValidationError(`${field} "${value}" is invalid: ${err}`, field);
}

export function assertLabels(labels: Record<string, string>, field: string): void {
  const keys = Object.keys(labels);
  if (keys.length > 64) throw new ValidationError(`${field} may hold at most 64 labels`, field);
  for (const key of keys) {
    const keyErr = labelKeyError(key);
    if (keyErr) throw new ValidationError(`${field} key "${key}" is invalid: ${keyErr}`, field);
    const value = labels[key];
    if (typeof value !== 'string')
      throw new ValidationError(`${field} value for "${key}" must be a string`, field);
    const valueErr = labelValueError(value);
    if (valueErr)
      throw new ValidationError(`${field} value "${value}" for "${key}" is invalid: ${valueErr}`, field);
  }
}
