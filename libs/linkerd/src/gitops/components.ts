// The Helm releases one cluster's Linkerd is made of, in Linkerd's install order: CRDs, then the
// control plane, then extensions. Both the Argo CD and the Flux renderers walk this list.
import { chartSourceFor, type ChartSource } from './chart-source';
import { CONTROL_PLANE_IGNORES, VIZ_IGNORES, type DriftIgnore } from './drift-ignores';
import { controlPlaneValues, crdsValues, vizValues, type GitopsCluster } from './gitops-values';

export interface Component {
  /** Release name, also the component label and the file name. */
  name: string;
  chart: string;
  namespace: string;
  /** 0, 1, 2: Argo CD sync wave / RollingSync step; Flux dependsOn follows the same order. */
  wave: number;
  values: Record<string, unknown>;
  ignores: readonly DriftIgnore[];
  namespaceLabels: Record<string, string>;
  namespaceAnnotations: Record<string, string>;
}

export interface ClusterPlan {
  cluster: GitopsCluster;
  source: ChartSource;
  components: Component[];
  warnings: string[];
}

export function planCluster(cluster: GitopsCluster): ClusterPlan {
  const source = chartSourceFor(cluster.version);
  const ns = cluster.controlPlaneNamespace;
  const controlPlaneNs = {
    namespaceLabels: {
      'linkerd.io/is-control-plane': 'true',
      'config.linkerd.io/admission-webhooks': 'disabled',
      'linkerd.io/control-plane-ns': ns,
      'pod-security.kubernetes.io/enforce': 'privileged',
    },
    namespaceAnnotations: { 'linkerd.io/inject': 'disabled' },
  };
  const components: Component[] = [
    {
      name: 'linkerd-crds',
      chart: source.crdsChart,
      namespace: ns,
      wave: 0,
      values: crdsValues(source),
      ignores: [],
      ...controlPlaneNs,
    },
    {
      name: 'linkerd-control-plane',
      chart: source.controlPlaneChart,
      namespace: ns,
      wave: 1,
      values: controlPlaneValues(cluster, source),
      ignores: CONTROL_PLANE_IGNORES,
      ...controlPlaneNs,
    },
  ];
  const warnings = source.notes.map((n) => `${cluster.name}: ${n}`);
  if (!cluster.trustAnchorsPem)
    warnings.push(
      `${cluster.name}: Meshfleet does not hold this cluster's trust anchor bundle (external identity without a registered bundle); set identityTrustAnchorsPEM before syncing`,
    );
  if (cluster.extensions.includes('viz')) {
    if (source.vizChart)
      components.push({
        name: 'linkerd-viz',
        chart: source.vizChart,
        namespace: 'linkerd-viz',
        wave: 2,
        values: vizValues(cluster),
        ignores: VIZ_IGNORES,
        namespaceLabels: {
          'linkerd.io/extension': 'viz',
          'pod-security.kubernetes.io/enforce': 'privileged',
        },
        namespaceAnnotations: { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/proxy-await': 'enabled' },
      });
    else
      warnings.push(
        `${cluster.name}: linkerd-viz is installed, but no viz chart is known for ${cluster.version}; left out`,
      );
  }
  return { cluster, source, components, warnings };
}
