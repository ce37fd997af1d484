// Sanity checks on operator imports: catch a swapped, truncated or mislabelled bundle before it
// reaches the catalog. Each problem is one human-readable reason.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import {
  CONTROL_PLANE_COMPONENTS,
  DEFAULT_CONTROL_PLANE_NAMESPACE,
  LINKERD_CONFIG_MAP,
} from '../../constants';
import { parseLinkerdConfig, type LinkerdConfigValues } from '../../cluster/linkerd-config';
import type { ReleaseVariant } from '../release.types';
import { crdName, crdsForMajor } from '../render/crd-inventory';
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

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
const crdGroup = (o: KubeObject): string => {
  const spec = o['spec'];
  const group = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>)['group'] : null;
  return typeof group === 'string' ? group : o.metadata.name.split('.').slice(1).join('.');
};
const isLinkerdGroup = (group: string): boolean => group === 'linkerd.io' || group.endsWith('.linkerd.io');

/**
 * The CRDs of `linkerd install --crds` for that major, all of them: a partial set installs a
 * control plane whose controllers crash-loop on the missing kinds. Gateway API CRDs are welcome
 * (`--set installGatewayAPI=true`); any other CRD is not Linkerd's to install.
 */
export function validateCrdsBundle(objects: readonly KubeObject[], major: number | null): string[] {
  const reasons = duplicates(objects, 'the CRDs bundle');
  const others = objects.filter((o) => o.kind !== 'CustomResourceDefinition');
  if (others.length) {
    reasons.push(
      `the CRDs bundle may only hold CustomResourceDefinitions (output of \`linkerd install --crds\`), ` +
        `but it holds ${others.slice(0, 5).map(describe).join(', ')}${others.length > 5 ? ', …' : ''}`,
    );
  }
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const foreign = crds.filter((o) => !isLinkerdGroup(crdGroup(o)) && crdGroup(o) !== GATEWAY_API_GROUP);
  if (foreign.length) {
    reasons.push(
      `the CRDs bundle holds CRDs that are neither Linkerd's nor the Gateway API's: ${foreign.map((o) => o.metadata.name).join(', ')}`,
    );
  }
  const linkerdCrds = crds.filter((o) => isLinkerdGroup(crdGroup(o)));
  if (linkerdCrds.length === 0) {
    reasons.push('the CRDs bundle holds no Linkerd CRD (*.linkerd.io)');
    return reasons;
  }
  if (major === null) return reasons;
  const present = new Set(linkerdCrds.map((o) => o.metadata.name));
  const expected = crdsForMajor(major)
    .filter((c) => isLinkerdGroup(c.group))
    .map(crdName);
  const missing = expected.filter((n) => !present.has(n));
  if (missing.length) {
    reasons.push(
      `the CRDs bundle is incomplete: Linkerd 2.${major} needs ${expected.length} Linkerd CRDs, ` +
        `missing ${missing.join(', ')} (import the whole output of \`linkerd install --crds\`)`,
    );
  }
  return reasons;
}

// `linkerd.io/created-by: linkerd/cli <version>` (or linkerd/helm): a render of another
// release, or objects pasted together from two renders, disagree with the import's version.
function createdByMismatches(objects: readonly KubeObject[], version: string): string[] {
  const others = new Set<string>();
  for (const o of objects) {
    const by = o.metadata.annotations?.['linkerd.io/created-by'];
    const m = typeof by === 'string' ? /^linkerd\/(?:cli|helm) (\S+)$/.exec(by.trim()) : null;
    if (m && m[1] !== version) others.add(by!.trim());
  }
  return others.size
    ? [`the control-plane bundle holds objects created by ${[...others].join(', ')}, not ${version}`]
    : [];
}

// The agent installs one control plane into one namespace; objects elsewhere would be orphans.
function foreignNamespaces(objects: readonly KubeObject[], namespace: string): string[] {
  const elsewhere = objects.filter((o) => o.metadata.namespace && o.metadata.namespace !== namespace);
  return elsewhere.length
    ? [
        `the control-plane bundle installs into ${namespace} but holds ${elsewhere
          .slice(0, 3)
          .map(describe)
          .join(', ')}${elsewhere.length > 3 ? ', …' : ''} elsewhere`,
      ]
    : [];
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
  // Said once: when linkerd-config already names another version, created-by adds nothing.
  if (config.linkerdVersion === expected.version)
    reasons.push(...createdByMismatches(objects, expected.version));
  if (namespace !== DEFAULT_CONTROL_PLANE_NAMESPACE) {
    // Installs, checks and upgrades all place the control plane in one namespace.
    reasons.push(
      `the bundle installs the control plane into namespace ${namespace}; Meshfleet installs it into ${DEFAULT_CONTROL_PLANE_NAMESPACE} (render with --namespace ${DEFAULT_CONTROL_PLANE_NAMESPACE} / helm template -n ${DEFAULT_CONTROL_PLANE_NAMESPACE})`,
    );
  } else reasons.push(...foreignNamespaces(objects, namespace));
  const values = (configMap['data'] as Record<string, string>)['values'] ?? '';
  return { reasons, config, namespace, trustDomain: trustDomainOf(values) };
}
