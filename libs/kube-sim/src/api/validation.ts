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
  if (type.group === 'autoscaling' && type.plural === 'horizontalpodautoscalers')
    causes.push(...hpaCauses(obj));
  if (type.group === 'policy' && type.plural === 'poddisruptionbudgets') causes.push(...pdbCauses(obj));
  if (type.group === '' && type.plural === 'pods') {
    const containers = ((obj['spec'] ?? {}) as { containers?: unknown[] }).containers;
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
  }
  return causes;
}

const required = (field: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: 'Required value',
  field,
});
const invalid = (field: string, value: unknown, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});

/** autoscaling/v2 rules the API server enforces: a scale target, 1 <= minReplicas <= maxReplicas, typed metrics. */
function hpaCauses(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (obj['spec'] ?? {}) as {
    scaleTargetRef?: { kind?: string; name?: string };
    minReplicas?: unknown;
    maxReplicas?: unknown;
    metrics?: Array<{ type?: string; resource?: { name?: string; target?: { type?: string } } }>;
  };
  if (!spec.scaleTargetRef?.kind) causes.push(required('spec.scaleTargetRef.kind'));
  if (!spec.scaleTargetRef?.name) causes.push(required('spec.scaleTargetRef.name'));
  const max = spec.maxReplicas;
  if (max === undefined) causes.push(required('spec.maxReplicas'));
  else if (!Number.isInteger(max) || (max as number) < 1)
    causes.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to 1'));
  const min = spec.minReplicas ?? 1;
  if (!Number.isInteger(min) || (min as number) < 1)
    causes.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  else if (Number.isInteger(max) && (min as number) > (max as number))
    causes.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  for (const [i, m] of (spec.metrics ?? []).entries()) {
    const types = ['Object', 'Pods', 'Resource', 'ContainerResource', 'External'];
    if (!m.type || !types.includes(m.type))
      causes.push(invalid(`spec.metrics[${i}].type`, m.type ?? '', `must be one of ${types.join(', ')}`));
    else if (m.type === 'Resource') {
      if (!m.resource?.name) causes.push(required(`spec.metrics[${i}].resource.name`));
      if (!m.resource?.target?.type) causes.push(required(`spec.metrics[${i}].resource.target.type`));
    }
  }
  return causes;
}

/** policy/v1: a selector, and minAvailable or maxUnavailable but not both. */
function pdbCauses(obj: KubeObject): StatusCause[] {
  const spec = (obj['spec'] ?? {}) as {
    minAvailable?: unknown;
    maxUnavailable?: unknown;
    selector?: unknown;
  };
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
    return [invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set')];
  return [];
}
