// Where a release's Helm charts live and which chart version carries it. Edge releases map to
// chart versions by Linkerd's rule (edge-YY.M.P -> 20YY.M.P); the others are marked unverified
// instead of guessed silently.
import { parseLinkerdVersion } from '../version/linkerd-version';

export interface ChartSource {
  /** Short name for the Helm repository object (Flux HelmRepository, docs). */
  repoName: string;
  repoURL: string;
  crdsChart: string;
  controlPlaneChart: string;
  /** null: no chart of that extension is known for this channel. */
  vizChart: string | null;
  chartVersion: string;
  enterprise: boolean;
  /** What we could not confirm; shown in the export's warnings and file headers. */
  notes: string[];
}

export const LINKERD_EDGE_REPO = 'https://helm.linkerd.io/edge';
export const LINKERD_STABLE_REPO = 'https://helm.linkerd.io/stable';
export const BUOYANT_REPO = 'https://helm.buoyant.cloud';

export function chartSourceFor(version: string): ChartSource {
  const v = version.trim();
  const edge = /^edge-(\d{2})\.(\d{1,2})\.(\d+)$/.exec(v);
  if (edge)
    return {
      repoName: 'linkerd-edge',
      repoURL: LINKERD_EDGE_REPO,
      crdsChart: 'linkerd-crds',
      controlPlaneChart: 'linkerd-control-plane',
      vizChart: 'linkerd-viz',
      chartVersion: `20${edge[1]}.${Number(edge[2])}.${Number(edge[3])}`,
      enterprise: false,
      notes: [],
    };
  const parsed = parseLinkerdVersion(v);
  const enterprise = /^enterprise-(\d+\.\d+\.\d+)$/.exec(v);
  if (enterprise)
    return {
      repoName: 'linkerd-buoyant',
      repoURL: BUOYANT_REPO,
      crdsChart: 'linkerd-enterprise-crds',
      controlPlaneChart: 'linkerd-enterprise-control-plane',
      vizChart: null,
      chartVersion: enterprise[1]!,
      enterprise: true,
      notes: [
        `${v}: Buoyant Enterprise charts; chart version ${enterprise[1]} assumed to be the release without its "enterprise-" prefix — confirm with \`helm search repo linkerd-buoyant/linkerd-enterprise-control-plane --versions\``,
        `${v}: the control plane reads its license from the Secret "buoyant-license" (key "license") in the control-plane namespace; create it outside Git (e.g. a sealed or external secret)`,
      ],
    };
  const stable = parsed?.channel === 'stable' ? v.replace(/^stable-/, '') : null;
  return {
    repoName: 'linkerd-stable',
    repoURL: LINKERD_STABLE_REPO,
    crdsChart: 'linkerd-crds',
    controlPlaneChart: 'linkerd-control-plane',
    vizChart: 'linkerd-viz',
    chartVersion: stable ?? v,
    enterprise: false,
    notes: [
      `${v}: no known mapping from this release to a chart version; "${stable ?? v}" is written as given — check it against the repository index before syncing`,
    ],
  };
}
