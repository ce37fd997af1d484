// linkerd-control-plane-proxy: the control plane's own proxies.
import { isMeshed, isProxyReady, isRunning, proxyVersion } from '../cluster/pods';
import { isTrustBundleStale } from '../mtls/trust-bundle';
import { outdatedReason } from './latest-version';
import { bulletList, fail, ok, type CategoryDefinition } from './check.types';

export const controlPlaneProxyCategory: CategoryDefinition = {
  name: 'linkerd-control-plane-proxy',
  checks: () => [
    {
      description: 'control plane proxies are healthy',
      hintAnchor: 'l5d-cp-proxy-healthy',
      fatal: true,
      run: (ctx) => {
        const problems: string[] = [];
        const bundle = ctx.anchors?.pem;
        for (const p of ctx.controlPlanePods.filter(isMeshed)) {
          const name = p.metadata?.name ?? '';
          if (!isRunning(p)) problems.push(`pod "${name}" status is ${p.status?.phase ?? 'Unknown'}`);
          else if (!isProxyReady(p)) problems.push(`container "linkerd-proxy" in pod "${name}" is not ready`);
          else if (bundle && isTrustBundleStale(p, bundle) === true)
            problems.push(`pod "${name}" has an outdated trust bundle`);
        }
        return problems.length ? fail(bulletList(problems)) : ok();
      },
    },
    {
      description: 'control plane proxies are up-to-date',
      hintAnchor: 'l5d-cp-proxy-version',
      warning: true,
      run: (ctx) => {
        const outdated = ctx.controlPlanePods
          .filter((p) => isMeshed(p) && isRunning(p))
          .flatMap((p) => {
            const reason = outdatedReason(ctx, proxyVersion(p), true);
            return reason ? [`${p.metadata?.name}: ${reason}`] : [];
          });
        return outdated.length ? fail(bulletList(outdated)) : ok();
      },
    },
  ],
};
