// Cloud provider and region from node objects (no cloud API calls needed).
import type { V1Node } from '@kubernetes/client-node';
import type { Provider } from '@meshfleet/agent-protocol';

const PREFIXES: ReadonlyArray<[string, Provider]> = [
  ['azure://', 'AKS'],
  ['aws://', 'EKS'],
  ['gce://', 'GKE'],
];

/** providerID schemes of private-cloud / local setups: these run in the customer's own datacenter. */
const ON_PREM = /^(vsphere|openstack|kind|k3s|rke2|baremetal|metal3):\/\//;

function providerOf(node: V1Node): Provider {
  const id = node.spec?.providerID ?? '';
  for (const [prefix, provider] of PREFIXES) if (id.startsWith(prefix)) return provider;
  if (id === '' || ON_PREM.test(id)) return 'ONPREM';
  return 'OTHER';
}

/**
 * Rule: the provider most nodes agree on (ties: alphabetical). `azure://` AKS, `aws://` EKS,
 * `gce://` GKE; no providerID (kubeadm, bare metal) or a private-cloud scheme (vsphere, openstack,
 * kind, k3s, rke2, metal3) ONPREM; any other scheme (DigitalOcean, Linode, ...) OTHER.
 * No nodes → OTHER (nothing to judge from).
 */
export function detectProvider(nodes: V1Node[]): Provider {
  if (nodes.length === 0) return 'OTHER';
  const votes = new Map<Provider, number>();
  for (const n of nodes) {
    const p = providerOf(n);
    votes.set(p, (votes.get(p) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
}

const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

/** Most common region label across nodes (current label first, then the legacy one); null if none. */
export function detectRegion(nodes: V1Node[]): string | null {
  const votes = new Map<string, number>();
  for (const n of nodes) {
    const labels = n.metadata?.labels ?? {};
    const region = REGION_LABELS.map((l) => labels[l]).find((v) => v !== undefined && v !== '');
    if (region) votes.set(region, (votes.get(region) ?? 0) + 1);
  }
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  return best ? best[0] : null;
}
