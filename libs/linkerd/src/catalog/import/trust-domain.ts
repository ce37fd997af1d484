// The trust domain is per identity domain, not per release: an import rendered for
// `cluster.local` must install into `example.org` too, so its occurrences become a placeholder.
// Only identity names are touched; DNS names (`svc.cluster.local`) keep the cluster domain.
import { placeholder } from '../placeholders';
import { isRecord, type KubeObject } from '../yaml-bundle';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function rewriter(namespace: string, trustDomain: string): (s: string) => string {
  const td = escape(trustDomain);
  const token = placeholder('trustDomain');
  const identityName = new RegExp(`(\\bidentity\\.${escape(namespace)}\\.)${td}(?![\\w.-])`, 'g');
  const flag = new RegExp(`^(-{1,2}identity-(?:trust-)?domain=)${td}$`);
  return (s) => s.replace(identityName, `$1${token}`).replace(flag, `$1${token}`);
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  return value;
}

export function replaceTrustDomain(
  objects: KubeObject[],
  namespace: string,
  trustDomain: string,
): KubeObject[] {
  const fn = rewriter(namespace, trustDomain);
  return objects.map((o) => mapStrings(o, fn) as KubeObject);
}
