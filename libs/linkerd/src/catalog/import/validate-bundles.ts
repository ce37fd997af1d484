// Sanity checks on operator imports: catch a swapped, truncated or mislabelled bundle before it
// reaches the catalog. Each problem is one human-readable reason.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { CONTROL_PLANE_COMPONENTS, LINKERD_CONFIG_MAP } from '../../constants';
import { parseLinkerdConfig, type LinkerdConfigValues } from '../../cluster/linkerd-config';
import type { ReleaseVariant } from '../release.types';
import type { KubeObject } from '../yaml-bundle';

const describe = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function duplicates(objects: readonly KubeObject[], bundle: string): string[] {
  const seen = new Set<string>();
  const reasons: string[] = [];
  for (const o of objects) {
    const key = `${o.apiVersion.split('/')[0]}|${describe(o)}`;
    if (seen.has(key)) reasons.push(`${bundle} holds ${describe(o)} twice`);
    seen.add(key);
  }
  return reasons;
}

export function validateCrdsBundle(objects: readonly KubeObject[]): string[] {
  const reasons = duplicates(objects, 'the CRDs bundle');
  const others = objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  if (others.length) {
    reasons.push(
      `the CRDs bundle may only hold CustomResourceDefinitions (output of \`linkerd install --crds\`), ` +
        `but it holds ${others.slice(0, 5).map(describe).join(', ')}${others.length > 5 ? ', …' : ''}`,
    );
  }
  const linkerdCrds = objects.filter(
    (o) => o.kind === 'CustomResourceDefinition' && /\.linkerd\.io$/.test(o.metadata.name),
  );
  if (linkerdCrds.length === 0) reasons.push('the CRDs bundle holds no Linkerd CRD (*.linkerd.io)');
  return reasons;
}

export interface ControlPlaneFacts {
  reasons: string[];
  config: LinkerdConfigValues | null;
  namespace: string;
  /** `identityTrustDomain`, else `clusterDomain`, as the chart resolves it. */
  trustDomain: string;
}

function trustDomainOf(values: string): string {
  const doc: unknown = parseYaml(values);
  const pick = (k: string): string | null => {
    const v = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)[k] : null;
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
  };
  return pick('identityTrustDomain') ?? pick('clusterDomain') ?? 'cluster.local';
}

export function validateControlPlaneBundle(
  objects: readonly KubeObject[],
  expected: { version: string; variant: ReleaseVariant },
): ControlPlaneFacts {
  const reasons = duplicates(objects, 'the control-plane bundle');
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length) {
    reasons.push(
      `the control-plane bundle holds CRDs (${crds.slice(0, 3).map(describe).join(', ')}); import them as the CRDs bundle`,
    );
  }
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === LINKERD_CONFIG_MAP);
  const namespace = configMap?.metadata.namespace ?? 'linkerd';
  for (const component of CONTROL_PLANE_COMPONENTS) {
    const name = `linkerd-${component}`;
    if (!objects.some((o) => o.kind === 'Deployment' && o.metadata.name === name)) {
      reasons.push(`the control-plane bundle has no Deployment ${name}`);
    }
  }
  if (!configMap) {
    reasons.push(
      `the control-plane bundle has no ConfigMap ${LINKERD_CONFIG_MAP} (output of \`linkerd install\`)`,
    );
    return { reasons, config: null, namespace, trustDomain: 'cluster.local' };
  }
  const parsed = parseLinkerdConfig(configMap as unknown as V1ConfigMap);
  if (!parsed.ok) {
    reasons.push(parsed.error);
    return { reasons, config: null, namespace, trustDomain: 'cluster.local' };
  }
  const config = parsed.values;
  if (!config.linkerdVersion) {
    reasons.push('linkerd-config values have no linkerdVersion');
  } else if (config.linkerdVersion !== expected.version) {
    reasons.push(`the bundle renders Linkerd ${config.linkerdVersion}, not ${expected.version}`);
  }
  const ha = config.highAvailability || (config.controllerReplicas ?? 1) > 1;
  if (ha !== (expected.variant === 'ha')) {
    reasons.push(
      ha
        ? 'the bundle is a high-availability render (--ha / values-ha.yaml) but was imported as the default variant'
        : 'the bundle is not a high-availability render but was imported as the ha variant',
    );
  }
  const values = (configMap['data'] as Record<string, string>)['values'] ?? '';
  return { reasons, config, namespace, trustDomain: trustDomainOf(values) };
}
