// Linkerd extensions the catalog holds next to each core release: one bundle per extension and
// release, applied after the control plane into the extension's own namespace.
import type { ReleaseBundle } from '../release.types';

export const LINKERD_EXTENSIONS = ['viz', 'multicluster'] as const;
export type LinkerdExtension = (typeof LINKERD_EXTENSIONS)[number];

/** The namespace `linkerd <ext> install` renders into by default. */
export const EXTENSION_NAMESPACES: Readonly<Record<LinkerdExtension, string>> = Object.freeze({
  viz: 'linkerd-viz',
  multicluster: 'linkerd-multicluster',
});

export function isLinkerdExtension(name: string): name is LinkerdExtension {
  return (LINKERD_EXTENSIONS as readonly string[]).includes(name);
}

/** What the catalog stores per release and extension. */
export interface ExtensionBundle extends ReleaseBundle {
  extension: LinkerdExtension;
  /** The core release it belongs to (extensions ship with the CLI of that release). */
  version: string;
  namespace: string;
}
