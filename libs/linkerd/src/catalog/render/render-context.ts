// What every simulated object of one release/variant shares: names, labels, images.
import { LABEL_CONTROL_PLANE_COMPONENT, LABEL_CONTROL_PLANE_NS } from '../../constants';
import type { CatalogRelease, ReleaseVariant } from '../release.types';
import type { KubeObject } from '../yaml-bundle';

/** Marks every object of the simulated catalog, so it is recognisable wherever it is applied. */
export const SIMULATED_RELEASE_LABEL = 'meshfleet.io/simulated-release';

export interface RenderContext {
  release: CatalogRelease;
  variant: ReleaseVariant;
  ha: boolean;
  namespace: string;
  /** `linkerd.io/created-by` value: the simulated catalog renders as the CLI would. */
  createdBy: string;
  replicas: number;
}

export function renderContext(release: CatalogRelease, variant: ReleaseVariant): RenderContext {
  const ha = variant === 'ha';
  return {
    release,
    variant,
    ha,
    namespace: 'linkerd',
    createdBy: `linkerd/cli ${release.version}`,
    replicas: ha ? 3 : 1,
  };
}

/** Image of a control-plane component, tagged with the release like the real chart. */
export function image(ctx: RenderContext, name: 'controller' | 'policy-controller' | 'proxy'): string {
  return `cr.l5d.io/linkerd/${name}:${ctx.release.version}`;
}

export function componentLabels(ctx: RenderContext, component: string): Record<string, string> {
  return {
    [LABEL_CONTROL_PLANE_COMPONENT]: component,
    [LABEL_CONTROL_PLANE_NS]: ctx.namespace,
  };
}

interface ObjectOptions {
  namespaced?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object with the metadata every control-plane object carries. */
export function kubeObject(
  ctx: RenderContext,
  apiVersion: string,
  kind: string,
  name: string,
  body: Record<string, unknown>,
  options: ObjectOptions = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(options.namespaced === false ? {} : { namespace: ctx.namespace }),
      labels: { ...options.labels, [SIMULATED_RELEASE_LABEL]: 'true' },
      annotations: { 'linkerd.io/created-by': ctx.createdBy, ...options.annotations },
    },
    ...body,
  };
}
