// List filters: label selectors (parsed by @meshfleet/core) and field selectors on dotted paths.
import { matchesLabels, parseLabelSelector, isDomainError } from '@meshfleet/core';
import { KubeObject } from '../store/types';
import { badRequest } from './kube-error';

export type ObjectFilter = (o: KubeObject) => boolean;

export function labelFilter(selector: string | undefined): ObjectFilter {
  if (!selector) return () => true;
  try {
    const reqs = parseLabelSelector(selector);
    return (o) => matchesLabels(reqs, o.metadata.labels ?? {});
  } catch (e) {
    if (isDomainError(e)) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
}

function fieldValue(o: KubeObject, path: string): string {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function fieldFilter(selector: string | undefined): ObjectFilter {
  if (!selector) return () => true;
  const terms = selector
    .split(',')
    .filter((t) => t.trim() !== '')
    .map((term) => {
      const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(term.trim());
      if (!m) throw badRequest(`invalid field selector: "${term}"`);
      return { path: m[1]!, negate: m[2] === '!=', value: m[3]! };
    });
  return (o) => terms.every((t) => (fieldValue(o, t.path) === t.value) !== t.negate);
}

/** A label selector object (matchLabels/matchExpressions) as used in workload specs. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function selectorMatches(
  sel: LabelSelectorSpec | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = k(e.key, labels);
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(v!))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const k = (key: string, labels: Record<string, string>): boolean =>
  Object.prototype.hasOwnProperty.call(labels, key);
