// Entry points of the simulated catalog: the two bundles of a release, and the same release as
// the catalog stores it (digests, inventories, placeholders).
import { placeholdersIn } from './placeholders';
import type { ReleaseBundle, ReleaseBundles, ReleaseVariant } from './release.types';
import { renderControlPlane } from './render/control-plane';
import { renderCrds } from './render/crds';
import { renderContext } from './render/render-context';
import { findSimulatedRelease, SIMULATED_RELEASES } from './simulated-releases';
import { canonicalDigest, inventoryOf, stringifyObjects, type KubeObject } from './yaml-bundle';

export function renderSimulatedRelease(
  version: string,
  variant: ReleaseVariant,
): { crds: string; controlPlane: string } {
  const ctx = renderContext(findSimulatedRelease(version), variant);
  return { crds: stringifyObjects(renderCrds(ctx)), controlPlane: stringifyObjects(renderControlPlane(ctx)) };
}

function bundle(objects: KubeObject[]): ReleaseBundle {
  const yaml = stringifyObjects(objects);
  return { yaml, digest: canonicalDigest(yaml), inventory: inventoryOf(objects) };
}

export function simulatedReleaseBundles(version: string, variant: ReleaseVariant): ReleaseBundles {
  const release = findSimulatedRelease(version);
  const ctx = renderContext(release, variant);
  const controlPlane = bundle(renderControlPlane(ctx));
  const crds = bundle(renderCrds(ctx));
  return {
    release,
    variant,
    linkerdVersion: release.version,
    crds,
    controlPlane,
    placeholders: placeholdersIn(controlPlane.yaml),
  };
}

/** Every simulated release in both variants, e.g. to seed the catalog. */
export function allSimulatedReleaseBundles(): ReleaseBundles[] {
  return SIMULATED_RELEASES.flatMap((r) =>
    (['default', 'ha'] as const).map((variant) => simulatedReleaseBundles(r.version, variant)),
  );
}
