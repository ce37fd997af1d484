// linkerd-viz, run when a namespace is labelled `linkerd.io/extension=viz` (as the CLI discovers
// extensions). The agent does not call the viz API: "can initialize the client" (a port-forward
// to metrics-api) is not run, and the self-check is judged from the metrics-api pods' readiness
// (their /ready probe), which its error says.
import { locateTapCert } from '../certificates/identity-material';
import { LABEL_EXTENSION } from '../constants';
import { allContainersReady, isMeshed, isProxyReady, isRunning, proxyVersion } from '../cluster/pods';
import type { CheckContext } from './check-context';
import { outdatedReason } from './latest-version';
import { bulletList, fail, ok, skip, type CategoryDefinition, type CheckDefinition } from './check.types';
import { missingNames } from './rbac';
import { servingCertChecks } from './serving-cert';

const TAP_API_SERVICE = 'v1alpha1.tap.linkerd.io';

/** The namespace the viz extension declares itself in, if installed. */
export function vizNamespace(ctx: CheckContext): string | null {
  const labelled = ctx.snapshot.namespaces.filter((n) => n.metadata?.labels?.[LABEL_EXTENSION] === 'viz');
  const preferred = labelled.find((n) => n.metadata?.name === ctx.options.vizNamespace) ?? labelled[0];
  return preferred?.metadata?.name ?? null;
}

const vizPods = (ctx: CheckContext, ns: string) =>
  ctx.snapshot.pods.filter((p) => p.metadata?.namespace === ns);

function podsCheck(
  description: string,
  hintAnchor: string,
  ns: string,
  problem: (ctx: CheckContext, p: (typeof ctx.snapshot.pods)[number]) => string | null,
): CheckDefinition {
  return {
    description,
    hintAnchor,
    warning: true,
    run: (ctx) => {
      const problems = vizPods(ctx, ns).flatMap((p) => {
        const r = problem(ctx, p);
        return r ? [`${p.metadata?.name}: ${r}`] : [];
      });
      return problems.length ? fail(bulletList(problems)) : ok();
    },
  };
}

export const vizCategory: CategoryDefinition = {
  name: 'linkerd-viz',
  applies: (ctx) => vizNamespace(ctx) !== null,
  checks: (ctx) => {
    const ns = vizNamespace(ctx)!;
    const apiService = () => ctx.snapshot.apiServices?.find((a) => a.metadata?.name === TAP_API_SERVICE);
    return [
      {
        description: 'linkerd-viz Namespace exists',
        hintAnchor: 'l5d-viz-ns-exists',
        fatal: true,
        run: () => ok(),
      },
      {
        description: 'linkerd-viz ClusterRoles exist',
        hintAnchor: 'l5d-viz-cr-exists',
        fatal: true,
        run: () => {
          const roles = ctx.snapshot.clusterRoles;
          if (!roles) return skip();
          const expected = [`linkerd-${ns}-tap`, `linkerd-${ns}-metrics-api`, `linkerd-${ns}-tap-admin`];
          return missingNames('ClusterRoles', [...expected, 'linkerd-tap-injector'], roles);
        },
      },
      {
        description: 'linkerd-viz ClusterRoleBindings exist',
        hintAnchor: 'l5d-viz-crb-exists',
        fatal: true,
        run: () => {
          const bindings = ctx.snapshot.clusterRoleBindings;
          if (!bindings) return skip();
          const expected = [
            `linkerd-${ns}-tap`,
            `linkerd-${ns}-metrics-api`,
            `linkerd-${ns}-tap-auth-delegator`,
          ];
          return missingNames('ClusterRoleBindings', [...expected, 'linkerd-tap-injector'], bindings);
        },
      },
      ...servingCertChecks(
        {
          validDescription: 'tap API server',
          expiryDescription: 'tap API server cert',
          validAnchor: 'l5d-tap-cert-valid',
          expiryAnchor: 'l5d-tap-cert-not-expiring-soon',
          secretNames: ['tap-k8s-tls'],
          optional: false,
          locate: (c) => locateTapCert(c.snapshot, ns),
          dnsName: () => `tap.${ns}.svc`,
          caBundles: (c) => {
            if (!c.snapshot.apiServices) return undefined;
            const b = apiService()?.spec?.caBundle;
            return b ? [b] : null;
          },
          caBundleOwner: `APIService ${TAP_API_SERVICE}`,
        },
        ctx.options.certExpiryWarningDays,
      ),
      {
        description: 'tap API service is running',
        hintAnchor: 'l5d-tap-api',
        warning: true,
        run: () => {
          if (!ctx.snapshot.apiServices) return skip();
          const available = apiService()?.status?.conditions?.find((c) => c.type === 'Available');
          return available?.status === 'True'
            ? ok()
            : fail(
                `APIService ${TAP_API_SERVICE} is not available${available?.message ? `: ${available.message}` : ''}`,
              );
        },
      },
      podsCheck('linkerd-viz pods are injected', 'l5d-viz-pods-injection', ns, (_c, p) =>
        isMeshed(p) ? null : 'is not injected',
      ),
      podsCheck('viz extension pods are running', 'l5d-viz-pods-running', ns, (_c, p) =>
        !isRunning(p) ? `is ${p.status?.phase ?? 'Unknown'}` : allContainersReady(p) ? null : 'is not ready',
      ),
      podsCheck('viz extension proxies are healthy', 'l5d-viz-proxy-healthy', ns, (_c, p) =>
        isMeshed(p) && isRunning(p) && !isProxyReady(p) ? 'linkerd-proxy is not ready' : null,
      ),
      podsCheck('viz extension proxies are up-to-date', 'l5d-viz-proxy-cp-version', ns, (c, p) =>
        isMeshed(p) ? outdatedReason(c, proxyVersion(p), true) : null,
      ),
      {
        description: 'prometheus is installed and configured correctly',
        hintAnchor: 'l5d-viz-prometheus',
        warning: true,
        run: () => {
          const prom = ctx.snapshot.deployments.find(
            (d) => d.metadata?.namespace === ns && d.metadata?.name === 'prometheus',
          );
          // Absent means "bring your own Prometheus" (prometheus.enabled=false): the CLI skips too.
          if (!prom) return skip();
          return (prom.status?.availableReplicas ?? 0) > 0
            ? ok()
            : fail('the prometheus deployment has no available replicas');
        },
      },
      {
        description: 'viz extension self-check',
        hintAnchor: 'l5d-viz-metrics-api',
        fatal: true,
        run: () => {
          const metricsApi = vizPods(ctx, ns).filter(
            (p) => p.metadata?.labels?.['component'] === 'metrics-api',
          );
          if (metricsApi.some((p) => isRunning(p) && allContainersReady(p))) return ok();
          return fail(
            `no ready metrics-api pod in namespace ${ns} (judged from the pod's readiness: the agent does not call the viz API's SelfCheck)`,
          );
        },
      },
    ];
  },
};
