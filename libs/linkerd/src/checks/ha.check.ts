// linkerd-ha-checks: only meaningful when installed with the HA values.
import { fail, ok, skip, type CategoryDefinition } from './check.types';

const HA_DEPLOYMENTS = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'];

export const haCategory: CategoryDefinition = {
  name: 'linkerd-ha-checks',
  checks: () => [
    {
      description: 'multiple replicas of control plane pods',
      hintAnchor: 'l5d-control-plane-replicas',
      warning: true,
      run: (ctx) => {
        if (!ctx.config?.highAvailability) return skip();
        const short = HA_DEPLOYMENTS.filter((name) => {
          const d = ctx.snapshot.deployments.find(
            (x) => x.metadata?.namespace === ctx.cpNs && x.metadata?.name === name,
          );
          return (d?.status?.availableReplicas ?? 0) <= 1;
        });
        return short.length ? fail(`not enough replicas available for [${short.join(' ')}]`) : ok();
      },
    },
  ],
};
