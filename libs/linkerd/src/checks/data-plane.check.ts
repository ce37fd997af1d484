// linkerd-data-plane (--proxy): injected pods are ready, current and correctly labelled; the
// namespace's Services carry Linkerd keys in the right place and agree with their pods on opaque
// ports. With `dataPlaneNamespace` (`check --proxy -n <ns>`) every check here looks at that
// namespace only, as the CLI's do. "data plane and cli versions match" is left out: there is no CLI
// binary whose version the proxies could be compared with ("data plane is up-to-date" covers it).
import type { V1ObjectMeta, V1Service } from '@kubernetes/client-node';
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
import type { CheckContext } from './check-context';
import { outdatedReason } from './latest-version';
import { opaquePortProblems } from './opaque-ports.check';
import { bulletList, fail, ok, skip, type CategoryDefinition } from './check.types';

/**
 * Keys that only work as annotations; as labels they are silently ignored. Prefixes without the
 * slash, as healthcheck_labels.go matches them.
 */
const ANNOTATION_ONLY = (key: string) =>
  key === 'linkerd.io/inject' ||
  key.startsWith('config.linkerd.io') ||
  key.startsWith('config.alpha.linkerd.io');

/** Keys that only work as labels (the multicluster export selector). */
const LABEL_ONLY = (key: string) => key === 'mirror.linkerd.io/exported';

/** Services of the checked namespace (all when none); undefined when the agent collected none. */
function dataPlaneServices(ctx: CheckContext): V1Service[] | undefined {
  const ns = ctx.options.dataPlaneNamespace;
  return ctx.snapshot.services?.filter((s) => ns === null || s.metadata?.namespace === ns);
}

/** `ns/name` followed by the offending keys, one per line (the CLI's layout). */
function misplacedKeys<T extends { metadata?: V1ObjectMeta }>(
  objects: readonly T[],
  keysOf: (o: T) => string[],
): { items: string[]; namespaces: string[] } {
  const bad = objects.flatMap((o) => {
    const keys = keysOf(o);
    return keys.length ? [{ o, keys }] : [];
  });
  return {
    items: bad.map(
      ({ o, keys }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}\n\t\t${keys.join('\n\t\t')}`,
    ),
    namespaces: namespacesOf(bad.map((b) => b.o)),
  };
}

function namespacesOf(objects: ReadonlyArray<{ metadata?: V1ObjectMeta }>): string[] {
  return objects.map((o) => o.metadata?.namespace ?? '');
}

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
        return findNamespace(ctx.snapshot, ns) ? ok() : fail(`The "${ns}" namespace does not exist`, [ns]);
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
          return fail(
            `No "linkerd-proxy" containers found in the "${where}" namespace`,
            ctx.options.dataPlaneNamespace === null ? [] : [ctx.options.dataPlaneNamespace],
          );
        }
        const bad = pods.filter((p) => !isEvicted(p) && (!isRunning(p) || !isProxyReady(p)));
        const problems = bad.map((p) =>
          isRunning(p)
            ? `The "linkerd-proxy" container in the "${podKey(p)}" pod is not ready`
            : `The "${podKey(p)}" pod is not running`,
        );
        return problems.length ? fail(bulletList(problems), namespacesOf(bad)) : ok();
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
            return reason ? [{ p, line: `${podKey(p)}: ${reason}` }] : [];
          });
        return outdated.length
          ? fail(bulletList(outdated.map((o) => o.line)), namespacesOf(outdated.map((o) => o.p)))
          : ok();
      },
    },
    {
      description: 'data plane pod labels are configured correctly',
      hintAnchor: 'l5d-data-plane-pod-labels',
      warning: true,
      run: (ctx) => {
        const bad = misplacedKeys(ctx.dataPlanePods, (p) =>
          Object.keys(p.metadata?.labels ?? {}).filter(ANNOTATION_ONLY),
        );
        return bad.items.length
          ? fail(
              `Some labels on data plane pods should be annotations:\n${bulletList(bad.items)}`,
              bad.namespaces,
            )
          : ok();
      },
    },
    {
      description: 'data plane service labels are configured correctly',
      hintAnchor: 'l5d-data-plane-services-labels',
      warning: true,
      run: (ctx) => {
        const services = dataPlaneServices(ctx);
        if (!services) return skip();
        const bad = misplacedKeys(services, (s) =>
          Object.keys(s.metadata?.labels ?? {}).filter(ANNOTATION_ONLY),
        );
        return bad.items.length
          ? fail(
              `Some labels on data plane services should be annotations:\n${bulletList(bad.items)}`,
              bad.namespaces,
            )
          : ok();
      },
    },
    {
      description: 'data plane service annotations are configured correctly',
      hintAnchor: 'l5d-data-plane-services-annotations',
      warning: true,
      run: (ctx) => {
        const services = dataPlaneServices(ctx);
        if (!services) return skip();
        const bad = misplacedKeys(services, (s) =>
          Object.keys(s.metadata?.annotations ?? {}).filter(LABEL_ONLY),
        );
        return bad.items.length
          ? fail(
              `Some annotations on data plane services should be labels:\n${bulletList(bad.items)}`,
              bad.namespaces,
            )
          : ok();
      },
    },
    {
      description: 'opaque ports are properly annotated',
      hintAnchor: 'linkerd-opaque-ports-definition',
      warning: true,
      run: (ctx) => {
        const services = dataPlaneServices(ctx);
        if (!services) return skip();
        // Every pod behind the Service, meshed or not: the CLI lists pods from the Endpoints.
        const problems = opaquePortProblems(services, ctx.snapshot.pods);
        // The CLI joins its lines with a newline and four spaces; bounded like every other list.
        const shown = problems.slice(0, 20).map((x) => x.line);
        if (problems.length > 20) shown.push(`\t* … and ${problems.length - 20} more`);
        return problems.length
          ? fail(
              shown.join('\n    '),
              problems.map((x) => x.namespace),
            )
          : ok();
      },
    },
  ],
};
