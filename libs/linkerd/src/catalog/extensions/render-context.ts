// What every simulated object of one extension bundle shares: its labels and created-by.
import { LABEL_EXTENSION } from '../../constants';
import type { CatalogRelease } from '../release.types';
import { SIMULATED_RELEASE_LABEL } from '../render/render-context';
import type { KubeMetadata } from '../yaml-bundle';
import { EXTENSION_NAMESPACES, type LinkerdExtension } from './extension.types';

export interface ExtensionRenderContext {
  extension: LinkerdExtension;
  version: string;
  namespace: string;
  createdBy: string;
  replicas: number;
  /** `linkerd.io/extension=<name>` (how the CLI and uninstall find every object) and the simulated mark. */
  commonLabels: Record<string, string>;
}

export function extensionRenderContext(
  release: CatalogRelease,
  extension: LinkerdExtension,
): ExtensionRenderContext {
  return {
    extension,
    version: release.version,
    namespace: EXTENSION_NAMESPACES[extension],
    createdBy: `linkerd/cli ${release.version}`,
    replicas: 1,
    commonLabels: { [LABEL_EXTENSION]: extension, [SIMULATED_RELEASE_LABEL]: 'true' },
  };
}

export function extensionMeta(
  ctx: ExtensionRenderContext,
  name: string,
  o: { component?: string; namespace?: string },
): KubeMetadata {
  return {
    name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: { ...ctx.commonLabels, ...(o.component ? { component: o.component } : {}) },
    annotations: { 'linkerd.io/created-by': ctx.createdBy },
  };
}
