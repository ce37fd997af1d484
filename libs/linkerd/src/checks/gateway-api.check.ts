// gateway-api-crd: the policy controller needs HTTPRoute (gateway.networking.k8s.io) at v1.
// The CLI gained this category in edge-26.7.1 (so stable/enterprise 2.21); it is run for control
// planes of that release on, as their own CLI would. Without Linkerd it is not run, so the
// report still says "Linkerd is not installed" rather than asking for Gateway API first.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { compareLinkerdVersions, parseLinkerdVersion } from '../version/linkerd-version';
import type { CheckContext } from './check-context';
import { fail, ok, type CategoryDefinition } from './check.types';

const GATEWAY_ROUTE_CRDS = ['httproutes.gateway.networking.k8s.io', 'grpcroutes.gateway.networking.k8s.io'];
const CREATED_BY = 'linkerd.io/created-by';
const FIRST_EDGE = parseLinkerdVersion('edge-26.7.1')!;
const FIRST_MAJOR = 21;

function appliesTo(ctx: CheckContext): boolean {
  const v = ctx.controlPlaneVersion;
  if (!v) return false;
  if (v.channel === 'edge' || v.channel === 'preview')
    return (compareLinkerdVersions(v, FIRST_EDGE) ?? 0) >= 0;
  return (v.major ?? 0) >= FIRST_MAJOR;
}

const servesV1 = (crd: V1CustomResourceDefinition) => (crd.spec?.versions ?? []).some((v) => v.name === 'v1');

/** CheckGatewayAPICRDs: present at all is enough unless an external install lacks v1. */
export function gatewayApiProblem(crds: V1CustomResourceDefinition[]): string | null {
  let found = false;
  for (const name of GATEWAY_ROUTE_CRDS) {
    const crd = crds.find((c) => c.metadata?.name === name);
    if (!crd) continue;
    // Installed by an older Linkerd CRDs chart: Linkerd owns their versions.
    if (crd.metadata?.annotations?.[CREATED_BY]) return null;
    found = true;
    if (!servesV1(crd)) {
      return `the ${name} CRD is missing the v1 version, please upgrade to Gateway API v1.1.1 or later`;
    }
  }
  if (found) return null;
  return [
    'The Gateway API CRDs must be installed prior to installing Linkerd. Run:',
    '',
    'kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml',
    '',
    'or see https://gateway-api.sigs.k8s.io/guides/#installing-gateway-api for more options.',
  ].join('\n');
}

export const gatewayApiCategory: CategoryDefinition = {
  name: 'gateway-api-crd',
  applies: appliesTo,
  checks: () => [
    {
      description: 'Gateway API CRDs are installed',
      hintAnchor: 'gateway-api-crd',
      fatal: true,
      run: (ctx) => {
        const problem = gatewayApiProblem(ctx.snapshot.crds);
        return problem ? fail(problem) : ok();
      },
    },
  ],
};
