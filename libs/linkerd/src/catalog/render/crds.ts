// The CRDs bundle of a simulated release: valid CustomResourceDefinitions with the real names,
// groups and versions, and schemas that accept anything (the simulator does not validate CRs).
import { LABEL_CONTROL_PLANE_NS } from '../../constants';
import type { KubeObject } from '../yaml-bundle';
import { crdName, crdsForMajor, GATEWAY_API_BUNDLE_VERSION, type CrdSpec } from './crd-inventory';
import { kubeObject, type RenderContext } from './render-context';

const PERMISSIVE_SCHEMA = {
  openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

function crd(ctx: RenderContext, spec: CrdSpec): KubeObject {
  const gatewayApi = spec.group === 'gateway.networking.k8s.io';
  return kubeObject(
    ctx,
    'apiextensions.k8s.io/v1',
    'CustomResourceDefinition',
    crdName(spec),
    {
      spec: {
        group: spec.group,
        names: {
          kind: spec.kind,
          listKind: `${spec.kind}List`,
          plural: spec.plural,
          singular: spec.kind.toLowerCase(),
          ...(spec.shortNames ? { shortNames: spec.shortNames } : {}),
        },
        scope: 'Namespaced',
        versions: spec.versions.map((name) => ({
          name,
          served: true,
          storage: name === spec.storage,
          schema: PERMISSIVE_SCHEMA,
        })),
      },
    },
    {
      namespaced: false,
      labels: { [LABEL_CONTROL_PLANE_NS]: ctx.namespace },
      // The chart keeps Gateway API CRDs on uninstall: other controllers may own routes.
      annotations: gatewayApi
        ? {
            'helm.sh/resource-policy': 'keep',
            'gateway.networking.k8s.io/bundle-version': GATEWAY_API_BUNDLE_VERSION,
            'gateway.networking.k8s.io/channel': 'experimental',
          }
        : {},
    },
  );
}

export function renderCrds(ctx: RenderContext): KubeObject[] {
  return crdsForMajor(ctx.release.major).map((spec) => crd(ctx, spec));
}
