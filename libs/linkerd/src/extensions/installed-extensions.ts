// Extensions in a cluster, found as `linkerd check` finds them: namespaces labelled
// `linkerd.io/extension=<name>`. The version is what the extension's Deployments say.
import type { InstalledExtension } from '@meshfleet/agent-protocol';
import { LABEL_EXTENSION } from '../constants';
import type { ClusterSnapshot } from '../snapshot';

function deploymentVersion(d: ClusterSnapshot['deployments'][number]): string | null {
  const label = d.metadata?.labels?.['app.kubernetes.io/version'];
  if (label) return label;
  const image = d.spec?.template?.spec?.containers?.[0]?.image ?? '';
  const tag = /:([^:/@]+)$/.exec(image)?.[1];
  return tag && /^(edge|stable|enterprise|version)-/.test(tag) ? tag : null;
}

export function installedExtensions(
  s: Pick<ClusterSnapshot, 'namespaces' | 'deployments'>,
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
      return { name: n.metadata!.labels![LABEL_EXTENSION]!, namespace, version };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
}
