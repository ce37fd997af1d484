// Catches a bundle cut short (a copy-paste that stopped mid-document still parses as YAML, just
// with an object missing its second half): each kind a Linkerd render holds must have the
// fields the API server and the agent need. One reason per object, naming what is missing.
import { isRecord, type KubeObject } from '../yaml-bundle';
import { pathRecord } from './redact-values';

const describe = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function podTemplateProblems(template: Record<string, unknown> | null): string[] {
  const containers = list(pathRecord(template ?? {}, ['spec'])?.['containers']);
  if (containers.length === 0) return ['spec.template.spec.containers'];
  const noImage = containers.filter((c) => !isRecord(c) || typeof c['image'] !== 'string' || !c['image']);
  return noImage.length ? ['an image for every container'] : [];
}

function crdProblems(o: KubeObject): string[] {
  const spec = pathRecord(o, ['spec']);
  const missing: string[] = [];
  if (typeof spec?.['group'] !== 'string') missing.push('spec.group');
  if (typeof pathRecord(o, ['spec', 'names'])?.['plural'] !== 'string') missing.push('spec.names.plural');
  const versions = list(spec?.['versions']);
  const complete = versions.filter(
    (v) =>
      isRecord(v) &&
      typeof v['name'] === 'string' &&
      typeof v['served'] === 'boolean' &&
      typeof v['storage'] === 'boolean',
  );
  if (versions.length === 0 || complete.length !== versions.length)
    missing.push('spec.versions (name, served, storage)');
  else if (complete.filter((v) => (v as Record<string, unknown>)['storage'] === true).length !== 1)
    missing.push('exactly one storage version');
  return missing;
}

function problems(o: KubeObject): string[] {
  switch (o.kind) {
    case 'Deployment':
    case 'DaemonSet':
    case 'StatefulSet':
      return [
        ...(pathRecord(o, ['spec', 'selector']) ? [] : ['spec.selector']),
        ...podTemplateProblems(pathRecord(o, ['spec', 'template'])),
      ];
    case 'CronJob':
      return podTemplateProblems(pathRecord(o, ['spec', 'jobTemplate', 'spec', 'template']));
    case 'Service':
      return pathRecord(o, ['spec'])?.['type'] === 'ExternalName' ||
        list(pathRecord(o, ['spec'])?.['ports']).length
        ? []
        : ['spec.ports'];
    case 'CustomResourceDefinition':
      return crdProblems(o);
    case 'MutatingWebhookConfiguration':
    case 'ValidatingWebhookConfiguration': {
      const hooks = list(o['webhooks']);
      return hooks.length &&
        hooks.every((h) => isRecord(h) && isRecord(h['clientConfig']) && list(h['rules']).length)
        ? []
        : ['webhooks with clientConfig and rules'];
    }
    case 'ClusterRoleBinding':
    case 'RoleBinding':
      return isRecord(o['roleRef']) ? [] : ['roleRef'];
    default:
      return [];
  }
}

export function incompleteObjects(objects: readonly KubeObject[], bundle: string): string[] {
  return objects.flatMap((o) => {
    const missing = problems(o);
    return missing.length
      ? [`${bundle}: ${describe(o)} is incomplete (no ${missing.join(', ')}); was the bundle cut short?`]
      : [];
  });
}
