// linkerd-identity-data-plane (--proxy): proxies still holding an old trust bundle.
import { isMeshed, isRunning, podKey } from '../cluster/pods';
import { isTrustBundleStale, trustBundleDigests } from '../mtls/trust-bundle';
import { bulletList, fail, ok, skip, type CategoryDefinition } from './check.types';

export const identityDataPlaneCategory: CategoryDefinition = {
  name: 'linkerd-identity-data-plane',
  applies: (ctx) => ctx.options.proxy,
  checks: () => [
    {
      description: 'data plane proxies certificate match CA',
      hintAnchor: 'l5d-identity-data-plane-proxies-certs-match-ca',
      warning: true,
      run: (ctx) => {
        const bundle = ctx.anchors?.pem;
        if (!bundle) return skip();
        const digests = trustBundleDigests(bundle);
        const stale = ctx.dataPlanePods.filter(
          (p) => isRunning(p) && isMeshed(p) && isTrustBundleStale(p, bundle, digests) === true,
        );
        return stale.length
          ? fail(
              `Some pods do not have the current trust bundle and must be restarted:\n${bulletList(stale.map(podKey))}`,
            )
          : ok();
      },
    },
  ],
};
