// Kubernetes label selector syntax: `env=prod,tier!=edge`, `team in (a,b)`, `!legacy`.
import { ValidationError } from './errors';
import { labelKeyError, labelValueError } from './validation';

export type Requirement =
  | { key: string; op: 'Equals' | 'NotEquals'; value: string }
  | { key: string; op: 'In' | 'NotIn'; values: string[] }
  | { key: string; op: 'Exists' | 'DoesNotExist' };

const SET_RE = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/;
const EQ_RE = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new ValidationError('labelSelector has an unmatched ")"', 'labelSelector');
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw new ValidationError('labelSelector has an unmatched "("', 'labelSelector');
  terms.push(current.trim());
  return terms;
}

function checkKey(key: string): string {
  const err = labelKeyError(key);
  if (err) throw new ValidationError(`labelSelector key "${key}" is invalid: ${err}`, 'labelSelector');
  return key;
}

function checkValue(value: string): string {
  const err = labelValueError(value);
  if (err) throw new ValidationError(`labelSelector value "${value}" is invalid: ${err}`, 'labelSelector');
  return value;
}

export function parseLabelSelector(selector: string): Requirement[] {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map((term): Requirement => {
    if (term === '') throw new ValidationError('labelSelector has an empty term', 'labelSelector');
    const set = SET_RE.exec(term);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      if (values.length === 0)
        throw new ValidationError(`labelSelector "${term}" needs at least one value`, 'labelSelector');
      return { key: checkKey(set[1]!), op: set[2] === 'in' ? 'In' : 'NotIn', values: values.map(checkValue) };
    }
    const eq = EQ_RE.exec(term);
    if (eq) {
      return {
        key: checkKey(eq[1]!),
        op: eq[2] === '!=' ? 'NotEquals' : 'Equals',
        value: checkValue(eq[3]!),
      };
    }
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'DoesNotExist' };
    if (/^[^\s!=(),]+$/.test(term)) return { key: checkKey(term), op: 'Exists' };
    throw new ValidationError(`labelSelector term "${term}" is not valid selector syntax`, 'labelSelector');
  });
}

/** Evaluates requirements against a label map (used by the simulator and in-memory filters). */
export function matchesLabels(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'Equals':
        return has && v === r.value;
      case 'NotEquals':
        return !has || v !== r.value;
      case 'In':
        return has && r.values.includes(v!);
      case 'NotIn':
        return !has || !r.values.includes(v!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}
