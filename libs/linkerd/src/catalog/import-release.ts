// Operator imports of real renders (`linkerd install --crds` / `linkerd install` / `helm
// template`): validated, stripped of identity material and stored in canonical form.
import { parseLinkerdVersion } from '../version/linkerd-version';
import { ReleaseImportError } from './catalog.errors';
import { completeRender } from './import/complete-render';
import { leftoverKeyMaterial } from './import/leftover-material';
import { incompleteObjects } from './import/object-shape';
import { redactIdentityMaterial } from './import/redact-identity';
import { replaceTrustDomain } from './import/trust-domain';
import { validateControlPlaneBundle, validateCrdsBundle } from './import/validate-bundles';
import { placeholdersIn } from './placeholders';
import type { ReleaseBundle, ReleaseBundles, ReleaseVariant } from './release.types';
import { kubernetesRangeFor } from './simulated-releases';
import {
  canonicalDigest,
  inventoryOf,
  kubeObjectProblem,
  parseBundleDocuments,
  stringifyObjects,
  type KubeObject,
} from './yaml-bundle';

export interface ImportReleaseInput {
  version: string;
  variant: ReleaseVariant;
  crdsYaml: string;
  controlPlaneYaml: string;
}

// Fields a cluster adds when objects are exported with kubectl instead of rendered.
const SERVER_FIELDS = [
  'creationTimestamp',
  'resourceVersion',
  'uid',
  'generation',
  'managedFields',
  'selfLink',
];

function stripServerFields(o: KubeObject): KubeObject {
  const { status: _status, ...rest } = o;
  const metadata = Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !SERVER_FIELDS.includes(k)));
  return { ...rest, metadata } as KubeObject;
}

function readBundle(yaml: string, label: string, reasons: string[]): KubeObject[] {
  const { objects, errors } = parseBundleDocuments(yaml);
  reasons.push(...errors.map((e) => `${label}: ${e}`));
  const valid: KubeObject[] = [];
  objects.forEach((o, i) => {
    const problem = kubeObjectProblem(o);
    if (problem) reasons.push(`${label}: object ${i + 1} is not a Kubernetes object (${problem})`);
    else valid.push(stripServerFields(o as KubeObject));
  });
  if (objects.length === 0 && errors.length === 0) reasons.push(`${label} is empty`);
  return valid;
}

function bundleOf(objects: KubeObject[]): ReleaseBundle {
  const yaml = stringifyObjects(objects);
  return { yaml, digest: canonicalDigest(yaml), inventory: inventoryOf(objects) };
}

/**
 * Validates and normalizes an imported release. Throws ReleaseImportError listing every reason
 * when the bundles are not a Linkerd release of that version and variant, or when key material
 * would remain after replacing the known identity fields with placeholders.
 */
export function importRenderedRelease(input: ImportReleaseInput): ReleaseBundles {
  const reasons: string[] = [];
  const version = parseLinkerdVersion(input.version);
  if (!version || version.major === null) {
    reasons.push(`"${input.version}" is not a Linkerd release name (edge-YY.M.N, enterprise-2.X.Y, …)`);
  }
  const crds = readBundle(input.crdsYaml, 'the CRDs bundle', reasons);
  let controlPlane = readBundle(input.controlPlaneYaml, 'the control-plane bundle', reasons);
  if (reasons.length) throw new ReleaseImportError(reasons);

  reasons.push(
    ...validateCrdsBundle(crds, version?.major ?? null),
    ...incompleteObjects(crds, 'the CRDs bundle'),
    ...incompleteObjects(controlPlane, 'the control-plane bundle'),
  );
  const facts = validateControlPlaneBundle(controlPlane, {
    version: input.version.trim(),
    variant: input.variant,
  });
  reasons.push(...facts.reasons);
  if (reasons.length || !version || version.major === null || !facts.config?.linkerdVersion) {
    throw new ReleaseImportError(reasons);
  }

  redactIdentityMaterial(controlPlane);
  controlPlane = replaceTrustDomain(
    completeRender(controlPlane, facts.namespace),
    facts.namespace,
    facts.trustDomain,
  );
  reasons.push(
    ...leftoverKeyMaterial(crds, 'the CRDs bundle'),
    ...leftoverKeyMaterial(controlPlane, 'the control-plane bundle'),
  );
  if (reasons.length) throw new ReleaseImportError(reasons);

  const cp = bundleOf(controlPlane);
  return {
    release: {
      version: version.raw,
      major: version.major,
      channel: version.channel,
      ...kubernetesRangeFor(version.major),
      simulated: false,
    },
    variant: input.variant,
    linkerdVersion: facts.config.linkerdVersion,
    crds: bundleOf(crds),
    controlPlane: cp,
    placeholders: placeholdersIn(cp.yaml),
  };
}
