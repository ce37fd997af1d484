// The Gateway API CRDs Linkerd's CRD chart installs with `installGatewayAPI=true` (HTTPRoute,
// GRPCRoute, TLSRoute, TCPRoute, experimental channel), for installLinkerd(gatewayApiCrds: true)
// on clusters that lack them. Linkerd 2.19+ no longer ships them by default but its policy
// controller watches these routes. The schemas accept any object, like the simulated catalog's.
import type { KubeObject } from '../yaml-bundle';
import { crdName, GATEWAY_API_BUNDLE_VERSION, LINKERD_CRDS } from './crd-inventory';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

export function gatewayApiCrdObjects(): KubeObject[] {
  return LINKERD_CRDS.filter((c) => c.group === GATEWAY_API_GROUP).map((spec) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(spec),
      labels: { 'app.kubernetes.io/managed-by': 'meshfleet' },
      annotations: {
        // Kept on uninstall, as Linkerd's chart does: other controllers may own routes.
        'helm.sh/resource-policy': 'keep',
        'gateway.networking.k8s.io/bundle-version': GATEWAY_API_BUNDLE_VERSION,
        'gateway.networking.k8s.io/channel': 'experimental',
      },
    },
    spec: {
      group: spec.group,
      names: {
        kind: spec.kind,
        listKind: `${spec.kind}List`,
        plural: spec.plural,
        singular: spec.kind.toLowerCase(),
        categories: ['gateway-api'],
      },
      scope: 'Namespaced',
      versions: spec.versions.map((name) => ({
        name,
        served: true,
        storage: name === spec.storage,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  }));
}
