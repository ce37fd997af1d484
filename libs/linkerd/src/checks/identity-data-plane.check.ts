// linkerd-identity-data-plane (--proxy): proxies still holding an old trust bundle. As the CLI:
// control-plane pods are not judged (they read the anchors from their config map), and with
// `check --proxy -n <ns>` the pods are named without their namespace.
import type { V1Pod } from '@kubernetes/client-node';
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
          (p) =>
            p.metadata?.namespace !== ctx.cpNs &&
            isRunning(p) &&
            isMeshed(p) &&
            isTrustBundleStale(p, bundle, digests) === true,
        );
        const name = ctx.options.dataPlaneNamespace === null ? podKey : (p: V1Pod) => p.metadata?.name ?? '';
        return stale.length
          ? fail(
              `Some pods do not have the current trust bundle and must be restarted:\n${bulletList(stale.map(name))}`,
              stale.map((p) => p.metadata?.namespace ?? ''),
            )
          : ok();
      },
    },
  ],
};
