// Extensions in a cluster, found as `linkerd check` finds them: namespaces labelled
// `linkerd.io/extension=<name>`. The version is what the extension's Deployments say.
import { LIMITS, type InstalledExtension } from '@meshfleet/agent-protocol';
import { LABEL_EXTENSION } from '../constants';
import type { ClusterSnapshot } from '../snapshot';
import { ANNOTATION_EXTERNAL_PROMETHEUS } from './external-prometheus';

/** Links listed in a report at most (the report names them for the multicluster uninstall refusal). */
export const LINKS_LISTED = 50;

function deploymentVersion(d: ClusterSnapshot['deployments'][number]): string | null {
  const label = d.metadata?.labels?.['app.kubernetes.io/version'];
  if (label) return label;
  const image = d.spec?.template?.spec?.containers?.[0]?.image ?? '';
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  return tag && /^(edge|stable|enterprise|version)-/.test(tag) ? tag : null;
}

/**
 * `links`: the multicluster `Link` objects (namespace/name) when the agent could list them, else
 * null (the API then leaves the refusal to the agent's precheck).
 */
export function installedExtensions(
  s: Pick<ClusterSnapshot, 'namespaces' | 'deployments'>,
  links: readonly string[] | null = null,
): InstalledExtension[] {
  return s.namespaces
    .filter((n) => n.metadata?.labels?.[LABEL_EXTENSION] && n.metadata.name)
    .map((n) => {
      const namespace = n.metadata!.name!;
      const versions = s.deployments
        .filter((d) => d.metadata?.namespace === namespace)
        .map(deploymentVersion)
        .filter((v): v is string => v !== null);
      // Several versions mid-upgrade: the most common one.
      const counts = new Map<string, number>();
      for (const v of versions) counts.set(v, (counts.get(v) ?? 0) + 1);
      const version = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
      const name = n.metadata!.labels![LABEL_EXTENSION]!;
      const external = n.metadata?.annotations?.[ANNOTATION_EXTERNAL_PROMETHEUS];
      return {
        name,
        namespace,
        version,
        prometheusUrl: name === 'viz' && external ? external.slice(0, 2048) : null,
        links:
          name === 'multicluster' && links
            ? [...links]
                .sort()
                .slice(0, LINKS_LISTED)
                .map((l) => l.slice(0, LIMITS.shortString))
            : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
}
