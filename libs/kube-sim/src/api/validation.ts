// The validation the simulator enforces: names, and the cross-field rules clients most often
// trip over (a workload selector that does not match its template). Causes use the real
// field paths and reasons so clients can show them.
import { KubeObject } from '../store/types';
import { StatusCause } from './kube-error';
import { ResourceType } from './resource-types';
import { LabelSelectorSpec, selectorMatches } from './selectors';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAMED = new Set(['namespaces', 'services', 'pods']);

export function validateObject(type: ResourceType, obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata.name ?? '';
  if (!name)
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  else if (type.group === 'rbac.authorization.k8s.io') {
    if (name.includes('/') || name.includes('%'))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}"`,
        field: 'metadata.name',
      });
  } else if (type.group === 'apiregistration.k8s.io') {
    // The aggregator names APIServices "<version>.<group>"; the core group's is "v1.".
    const spec = (obj['spec'] ?? {}) as { group?: string; version?: string };
    if (name !== `${spec.version ?? ''}.${spec.group ?? ''}`)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": must be \`spec.version+"."+spec.group\`: "${spec.version ?? ''}.${spec.group ?? ''}"`,
        field: 'metadata.name',
      });
  } else if (
    name.length > 253 ||
    !(LABEL_NAMED.has(type.plural) ? DNS_LABEL : DNS_SUBDOMAIN).test(name) ||
    (LABEL_NAMED.has(type.plural) && name.length > 63)
  ) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${LABEL_NAMED.has(type.plural) ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      field: 'metadata.name',
    });
  }
  if (
    type.group === 'apps' &&
    ['deployments', 'replicasets', 'daemonsets', 'statefulsets'].includes(type.plural)
  ) {
    const spec = (obj['spec'] ?? {}) as {
      selector?: LabelSelectorSpec;
      template?: { metadata?: { labels?: Record<string, string> } };
    };
    if (!spec.selector)
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' });
    else if (!selectorMatches(spec.selector, spec.template?.metadata?.labels ?? {}))
      causes.push({
        reason: 'FieldValueInvalid',
        message: 'Invalid value: map[string]string(nil): `selector` does not match template `labels`',
        field: 'spec.template.metadata.labels',
      });
  }
  if (type.group === '' && type.plural === 'pods') {
    const containers = ((obj['spec'] ?? {}) as { containers?: unknown[] }).containers;
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
  }
  return causes;
}
