// CRDs of `linkerd install --crds` per major (reference §3.2). Only names, versions and which
// majors ship them matter to the catalog; schemas are left permissive on purpose.

export interface CrdSpec {
  group: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  /** Served versions, oldest first; `storage` is the one persisted. */
  versions: string[];
  storage: string;
  /** Majors whose `linkerd install --crds` renders it by default: since, and up to (inclusive). */
  majors: { since: number; until?: number };
}

const ALL = { since: 15 };
// Egress control and rate limiting arrived with 2.17.
const SINCE_17 = { since: 17 };
// `installGatewayAPI` defaults to true up to 2.18; 2.19+ expect the CRDs to exist already.
const GATEWAY_API_BUNDLED = { since: 15, until: 18 };
export const GATEWAY_API_BUNDLE_VERSION = 'v1.2.1';

export const LINKERD_CRDS: readonly CrdSpec[] = [
  {
    group: 'policy.linkerd.io',
    kind: 'AuthorizationPolicy',
    plural: 'authorizationpolicies',
    shortNames: ['authzpolicy'],
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
    majors: ALL,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'EgressNetwork',
    plural: 'egressnetworks',
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
    majors: SINCE_17,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'HTTPLocalRateLimitPolicy',
    plural: 'httplocalratelimitpolicies',
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
    majors: SINCE_17,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    versions: ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3'],
    storage: 'v1beta3',
    majors: ALL,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'MeshTLSAuthentication',
    plural: 'meshtlsauthentications',
    shortNames: ['meshtlsauthn'],
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
    majors: ALL,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'NetworkAuthentication',
    plural: 'networkauthentications',
    shortNames: ['netauthn', 'networkauthn'],
    versions: ['v1alpha1'],
    storage: 'v1alpha1',
    majors: ALL,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'ServerAuthorization',
    plural: 'serverauthorizations',
    shortNames: ['saz', 'serverauthz', 'srvauthz'],
    versions: ['v1alpha1', 'v1beta1'],
    storage: 'v1beta1',
    majors: ALL,
  },
  {
    group: 'policy.linkerd.io',
    kind: 'Server',
    plural: 'servers',
    shortNames: ['srv'],
    versions: ['v1alpha1', 'v1beta1', 'v1beta2', 'v1beta3'],
    storage: 'v1beta3',
    majors: ALL,
  },
  {
    group: 'linkerd.io',
    kind: 'ServiceProfile',
    plural: 'serviceprofiles',
    shortNames: ['sp'],
    versions: ['v1alpha1', 'v1alpha2'],
    storage: 'v1alpha2',
    majors: ALL,
  },
  {
    group: 'workload.linkerd.io',
    kind: 'ExternalWorkload',
    plural: 'externalworkloads',
    versions: ['v1alpha1', 'v1beta1'],
    storage: 'v1beta1',
    majors: ALL,
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'GRPCRoute',
    plural: 'grpcroutes',
    versions: ['v1alpha2', 'v1'],
    storage: 'v1',
    majors: GATEWAY_API_BUNDLED,
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    versions: ['v1beta1', 'v1'],
    storage: 'v1',
    majors: GATEWAY_API_BUNDLED,
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'TCPRoute',
    plural: 'tcproutes',
    versions: ['v1alpha2'],
    storage: 'v1alpha2',
    majors: GATEWAY_API_BUNDLED,
  },
  {
    group: 'gateway.networking.k8s.io',
    kind: 'TLSRoute',
    plural: 'tlsroutes',
    versions: ['v1alpha2'],
    storage: 'v1alpha2',
    majors: GATEWAY_API_BUNDLED,
  },
];

export const crdName = (crd: CrdSpec): string => `${crd.plural}.${crd.group}`;

export function crdsForMajor(major: number): CrdSpec[] {
  return LINKERD_CRDS.filter((c) => major >= c.majors.since && major <= (c.majors.until ?? Infinity));
}

/**
 * Gateway API CRDs the cluster must already have for `linkerd install` of that major: from 2.19
 * the CRDs bundle no longer ships them but the policy controller still watches these routes.
 */
export function requiredGatewayApiCrds(major: number): string[] {
  if (major < 19) return [];
  return ['grpcroutes.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io'];
}
