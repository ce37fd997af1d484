// linkerd-existence: is Linkerd there at all, and are its pods up (reference §2.2).
import { LABEL_CONTROL_PLANE_COMPONENT, CONTROL_PLANE_COMPONENTS } from '../constants';
import { allContainersReady, isRunning } from '../cluster/pods';
import { isControlPlaneResource } from './rbac';
import { clusterNetworksChecks } from './cluster-networks.check';
import { bulletList, fail, ok, skip, type CategoryDefinition } from './check.types';

export const existenceCategory: CategoryDefinition = {
  name: 'linkerd-existence',
  checks: () => [
    {
      description: "'linkerd-config' config map exists",
      hintAnchor: 'l5d-existence-linkerd-config',
      fatal: true,
      run: (ctx) => {
        if (!ctx.configMapExists) {
          return fail(
            `Linkerd is not installed: configmaps "linkerd-config" not found in namespace "${ctx.cpNs}"`,
          );
        }
        return ctx.configError ? fail(ctx.configError) : ok();
      },
    },
    {
      description: 'heartbeat ServiceAccount exist',
      hintAnchor: 'l5d-existence-sa',
      fatal: true,
      run: (ctx) => {
        const sas = ctx.snapshot.serviceAccounts;
        // The CLI passes this check (rather than skipping it) when the heartbeat is disabled.
        if (ctx.config?.disableHeartBeat) return ok();
        if (!sas) return skip();
        const found = sas.some(
          (sa) =>
            sa.metadata?.namespace === ctx.cpNs &&
            sa.metadata?.name === 'linkerd-heartbeat' &&
            isControlPlaneResource(sa),
        );
        return found ? ok() : fail('missing ServiceAccounts: linkerd-heartbeat');
      },
    },
    {
      // ReplicaSets are not in the snapshot; their failure surfaces as the Deployment's ReplicaFailure condition.
      description: 'control plane replica sets are ready',
      hintAnchor: 'l5d-existence-replicasets',
      fatal: true,
      run: (ctx) => {
        const failing = ctx.snapshot.deployments
          .filter((d) => d.metadata?.namespace === ctx.cpNs)
          .flatMap((d) =>
            (d.status?.conditions ?? [])
              .filter((c) => c.type === 'ReplicaFailure' && c.status === 'True')
              .map((c) => `${d.metadata?.name}: ${c.message ?? c.reason ?? 'ReplicaFailure'}`),
          );
        return failing.length ? fail(`replica sets failed:\n${bulletList(failing)}`) : ok();
      },
    },
    {
      description: 'no unschedulable pods',
      hintAnchor: 'l5d-existence-unschedulable-pods',
      warning: true,
      run: (ctx) => {
        const stuck = ctx.controlPlanePods.filter((p) =>
          p.status?.conditions?.some(
            (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
          ),
        );
        return stuck.length
          ? fail(`some pods cannot be scheduled:\n${bulletList(stuck.map((p) => p.metadata?.name ?? ''))}`)
          : ok();
      },
    },
    {
      description: 'control plane pods are ready',
      hintAnchor: 'l5d-api-control-ready',
      fatal: true,
      run: (ctx) => {
        const notReady = CONTROL_PLANE_COMPONENTS.filter(
          (component) =>
            !ctx.controlPlanePods.some(
              (p) =>
                p.metadata?.labels?.[LABEL_CONTROL_PLANE_COMPONENT] === component &&
                isRunning(p) &&
                allContainersReady(p),
            ),
        );
        return notReady.length
          ? fail(`No running pods for ${notReady.map((c) => `"linkerd-${c}"`).join(', ')}`)
          : ok();
      },
    },
    ...clusterNetworksChecks,
  ],
};
