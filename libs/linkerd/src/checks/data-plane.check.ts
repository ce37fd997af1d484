// linkerd-data-plane (--proxy): injected pods are ready, current and correctly labelled.
import { findNamespace } from '../cluster/objects';
import {
  isEvicted,
  isFinished,
  isProxyReady,
  isRunning,
  podKey,
  proxyContainer,
  proxyVersion,
} from '../cluster/pods';
import { outdatedReason } from './latest-version';
import { bulletList, fail, ok, skip, type CategoryDefinition } from './check.types';

/** Keys that only work as annotations; as labels they are silently ignored. */
const ANNOTATION_ONLY = (key: string) =>
  key === 'linkerd.io/inject' ||
  key.startsWith('config.linkerd.io/') ||
  key.startsWith('config.alpha.linkerd.io/');

export const dataPlaneCategory: CategoryDefinition = {
  name: 'linkerd-data-plane',
  applies: (ctx) => ctx.options.proxy,
  checks: () => [
    {
      description: 'data plane namespace exists',
      hintAnchor: 'l5d-data-plane-exists',
      fatal: true,
      run: (ctx) => {
        const ns = ctx.options.dataPlaneNamespace;
        if (ns === null) return skip();
        return findNamespace(ctx.snapshot, ns) ? ok() : fail(`The "${ns}" namespace does not exist`);
      },
    },
    {
      description: 'data plane proxies are ready',
      hintAnchor: 'l5d-data-plane-ready',
      fatal: true,
      run: (ctx) => {
        const pods = ctx.dataPlanePods.filter((p) => proxyContainer(p) && !isFinished(p));
        if (pods.length === 0) {
          const where = ctx.options.dataPlaneNamespace ?? 'any';
          return fail(`No "linkerd-proxy" containers found in the "${where}" namespace`);
        }
        const problems = pods.flatMap((p) => {
          if (isEvicted(p)) return [];
          if (!isRunning(p)) return [`The "${podKey(p)}" pod is not running`];
          if (!isProxyReady(p))
            return [`The "linkerd-proxy" container in the "${podKey(p)}" pod is not ready`];
          return [];
        });
        return problems.length ? fail(bulletList(problems)) : ok();
      },
    },
    {
      description: 'data plane is up-to-date',
      hintAnchor: 'l5d-data-plane-version',
      warning: true,
      run: (ctx) => {
        const outdated = ctx.dataPlanePods
          .filter((p) => isRunning(p) && proxyContainer(p))
          .flatMap((p) => {
            const reason = outdatedReason(ctx, proxyVersion(p), true);
            return reason ? [`${podKey(p)}: ${reason}`] : [];
          });
        return outdated.length ? fail(bulletList(outdated)) : ok();
      },
    },
    {
      description: 'data plane pod labels are configured correctly',
      hintAnchor: 'l5d-data-plane-pod-labels',
      warning: true,
      run: (ctx) => {
        const bad = ctx.dataPlanePods.flatMap((p) => {
          const keys = Object.keys(p.metadata?.labels ?? {}).filter(ANNOTATION_ONLY);
          return keys.length ? [`${podKey(p)}\n\t\t${keys.join('\n\t\t')}`] : [];
        });
        return bad.length
          ? fail(`Some labels on data plane pods should be annotations:\n${bulletList(bad)}`)
          : ok();
      },
    },
  ],
};
