// linkerd-config: the objects an install creates (reference §2.2, §3.2, §3.3).
import { nameOf } from '../cluster/objects';
import { PROXY_INJECTOR_WEBHOOK, SP_VALIDATOR_WEBHOOK } from '../constants';
import { findNamespace } from '../cluster/objects';
import type { CheckContext } from './check-context';
import { isControlPlaneResource, missingNames } from './rbac';
import { fail, ok, skip, type CategoryDefinition, type CheckOutcome } from './check.types';

/** CRDs of the linkerd-crds chart, with the major that introduced them. */
const CONTROL_PLANE_CRDS: ReadonlyArray<[string, number]> = [
  ['authorizationpolicies.policy.linkerd.io', 0],
  ['httproutes.policy.linkerd.io', 0],
  ['meshtlsauthentications.policy.linkerd.io', 0],
  ['networkauthentications.policy.linkerd.io', 0],
  ['serverauthorizations.policy.linkerd.io', 0],
  ['servers.policy.linkerd.io', 0],
  ['serviceprofiles.linkerd.io', 0],
  ['externalworkloads.workload.linkerd.io', 15],
  ['httplocalratelimitpolicies.policy.linkerd.io', 17],
  ['egressnetworks.policy.linkerd.io', 18],
];

function missing(kind: string, expected: string[], present: Iterable<string>): CheckOutcome {
  const have = new Set(present);
  const absent = expected.filter((e) => !have.has(e));
  return absent.length ? fail(`missing ${kind}: ${absent.join(', ')}`) : ok();
}

/** expectedRBACNames of healthcheck.go. */
const rbacNames = (ctx: CheckContext) => [
  `linkerd-${ctx.cpNs}-identity`,
  `linkerd-${ctx.cpNs}-proxy-injector`,
];

function expectedCrds(ctx: CheckContext): string[] {
  const major = ctx.controlPlaneVersion?.major ?? 0;
  return CONTROL_PLANE_CRDS.filter(([, since]) => major >= since).map(([name]) => name);
}

export const configCategory: CategoryDefinition = {
  name: 'linkerd-config',
  checks: () => [
    {
      description: 'control plane Namespace exists',
      hintAnchor: 'l5d-existence-ns',
      fatal: true,
      run: (ctx) =>
        findNamespace(ctx.snapshot, ctx.cpNs) ? ok() : fail(`The "${ctx.cpNs}" namespace does not exist`),
    },
    {
      description: 'control plane ClusterRoles exist',
      hintAnchor: 'l5d-existence-cr',
      fatal: true,
      run: (ctx) => {
        const roles = ctx.snapshot.clusterRoles;
        if (!roles) return skip();
        return missingNames('ClusterRoles', rbacNames(ctx), roles.filter(isControlPlaneResource));
      },
    },
    {
      description: 'control plane ClusterRoleBindings exist',
      hintAnchor: 'l5d-existence-crb',
      fatal: true,
      run: (ctx) => {
        const bindings = ctx.snapshot.clusterRoleBindings;
        if (!bindings) return skip();
        return missingNames('ClusterRoleBindings', rbacNames(ctx), bindings.filter(isControlPlaneResource));
      },
    },
    {
      description: 'control plane ServiceAccounts exist',
      hintAnchor: 'l5d-existence-sa',
      fatal: true,
      run: (ctx) => {
        const sas = ctx.snapshot.serviceAccounts;
        if (!sas) return skip();
        const expected = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'];
        return missingNames(
          'ServiceAccounts',
          expected,
          sas.filter((s) => s.metadata?.namespace === ctx.cpNs && isControlPlaneResource(s)),
        );
      },
    },
    {
      description: 'control plane CustomResourceDefinitions exist',
      hintAnchor: 'l5d-existence-crd',
      fatal: true,
      run: (ctx) => missing('CustomResourceDefinitions', expectedCrds(ctx), ctx.snapshot.crds.map(nameOf)),
    },
    {
      description: 'control plane MutatingWebhookConfigurations exist',
      hintAnchor: 'l5d-existence-mwc',
      fatal: true,
      run: (ctx) =>
        missing(
          'MutatingWebhookConfigurations',
          [PROXY_INJECTOR_WEBHOOK],
          ctx.snapshot.mutatingWebhooks.map(nameOf),
        ),
    },
    {
      description: 'control plane ValidatingWebhookConfigurations exist',
      hintAnchor: 'l5d-existence-vwc',
      fatal: true,
      run: (ctx) =>
        missing(
          'ValidatingWebhookConfigurations',
          [SP_VALIDATOR_WEBHOOK],
          ctx.snapshot.validatingWebhooks.map(nameOf),
        ),
    },
  ],
};
