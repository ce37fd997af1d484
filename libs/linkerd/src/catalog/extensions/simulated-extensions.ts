// The simulated catalog's extension bundles: viz and multicluster for every simulated release.
import type { KubeObject } from '../yaml-bundle';
import { canonicalDigest, inventoryOf, stringifyObjects } from '../yaml-bundle';
import { findSimulatedRelease, SIMULATED_RELEASES } from '../simulated-releases';
import {
  EXTENSION_NAMESPACES,
  LINKERD_EXTENSIONS,
  type ExtensionBundle,
  type LinkerdExtension,
} from './extension.types';
import { extensionRenderContext } from './render-context';
import { renderMulticluster } from './render-multicluster';
import { renderViz } from './render-viz';

export function renderSimulatedExtension(version: string, extension: LinkerdExtension): KubeObject[] {
  const ctx = extensionRenderContext(findSimulatedRelease(version), extension);
  return extension === 'viz' ? renderViz(ctx) : renderMulticluster(ctx);
}

export function extensionBundleOf(
  extension: LinkerdExtension,
  version: string,
  namespace: string,
  objects: readonly KubeObject[],
): ExtensionBundle {
  const yaml = stringifyObjects(objects);
  return {
    extension,
    version,
    namespace,
    yaml,
    digest: canonicalDigest(yaml),
    inventory: inventoryOf(objects),
  };
}

export function simulatedExtensionBundle(version: string, extension: LinkerdExtension): ExtensionBundle {
  const objects = renderSimulatedExtension(version, extension);
  return extensionBundleOf(extension, version.trim(), EXTENSION_NAMESPACES[extension], objects);
}

/** Every extension of every simulated release, e.g. to seed the catalog. */
export function allSimulatedExtensionBundles(): ExtensionBundle[] {
  return SIMULATED_RELEASES.flatMap((r) =>
    LINKERD_EXTENSIONS.map((e) => simulatedExtensionBundle(r.version, e)),
  );
}
