// Node objects as each provider names and labels them: providerID scheme, topology labels
// and provider-specific pool labels, which is how the agent detects AKS/EKS/GKE.
import { createHash } from 'node:crypto';
import { KubeObject } from '../store/types';
import type { Provider } from './sim-cluster';

export interface NodeInput {
  name?: string;
  zone?: string;
  instanceType?: string;
}

const INSTANCE: Record<Provider, string> = {
  aks: 'Standard_D4s_v5',
  eks: 'm6i.xlarge',
  gke: 'e2-standard-4',
  onprem: 'bare-metal',
};

function hex(seed: string, n: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, n);
}

export function nodeObject(
  cluster: string,
  provider: Provider,
  region: string,
  kubernetesVersion: string,
  index: number,
  input: NodeInput = {},
): KubeObject {
  const zones =
    provider === 'aks'
      ? [`${region}-1`, `${region}-2`, `${region}-3`]
      : provider === 'onprem'
        ? ['rack-a', 'rack-b']
        : [`${region}a`, `${region}b`, `${region}c`];
  const zone = input.zone ?? zones[index % zones.length]!;
  const ip = `10.${index >> 8}.${(index & 255) + 1}.${10 + (index % 200)}`;
  const seed = `${cluster}-${index}`;
  let name: string;
  let providerID: string | undefined;
  const extra: Record<string, string> = {};
  if (provider === 'aks') {
    const pool = `aks-nodepool1-${parseInt(hex(cluster, 7), 16).toString().slice(0, 8)}-vmss`;
    name = input.name ?? `${pool}${index.toString(36).padStart(6, '0')}`;
    providerID = `azure:///subscriptions/${hex(cluster + 'sub', 8)}-0000-0000-0000-000000000000/resourceGroups/mc_${cluster}_${region}/providers/Microsoft.Compute/virtualMachineScaleSets/${pool}/virtualMachines/${index}`;
    Object.assign(extra, {
      'kubernetes.azure.com/cluster': `MC_${cluster}_${region}`,
      'kubernetes.azure.com/agentpool': 'nodepool1',
      agentpool: 'nodepool1',
    });
  } else if (provider === 'eks') {
    name = input.name ?? `ip-${ip.replace(/\./g, '-')}.${region}.compute.internal`;
    providerID = `aws:///${zone}/i-0${hex(seed, 16)}`;
    Object.assign(extra, {
      'eks.amazonaws.com/nodegroup': 'default',
      'eks.amazonaws.com/capacityType': 'ON_DEMAND',
    });
  } else if (provider === 'gke') {
    name = input.name ?? `gke-${cluster.slice(0, 20)}-default-pool-${hex(cluster, 8)}-${hex(seed, 4)}`;
    providerID = `gce://meshfleet-sim/${zone}/${name}`;
    Object.assign(extra, {
      'cloud.google.com/gke-nodepool': 'default-pool',
      'cloud.google.com/machine-family': 'e2',
    });
  } else {
    name = input.name ?? `${cluster}-node-${index + 1}`;
  }
  const instanceType = input.instanceType ?? INSTANCE[provider];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': instanceType,
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': zone,
        ...extra,
      },
    },
    spec: {
      ...(providerID ? { providerID } : {}),
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
    },
    status: readyNodeStatus(ip, name, kubernetesVersion),
  };
}

export function readyNodeStatus(
  ip: string,
  name: string,
  kubernetesVersion: string,
): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    conditions: [
      {
        type: 'MemoryPressure',
        status: 'False',
        reason: 'KubeletHasSufficientMemory',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
      {
        type: 'DiskPressure',
        status: 'False',
        reason: 'KubeletHasNoDiskPressure',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
      {
        type: 'PIDPressure',
        status: 'False',
        reason: 'KubeletHasSufficientPID',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ],
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
    capacity: { cpu: '4', memory: '16374584Ki', pods: '110' },
    allocatable: { cpu: '3860m', memory: '13594936Ki', pods: '110' },
    nodeInfo: {
      kubeletVersion: `v${kubernetesVersion.replace(/^v/, '')}`,
      kubeProxyVersion: `v${kubernetesVersion.replace(/^v/, '')}`,
      containerRuntimeVersion: 'containerd://1.7.22',
      osImage: 'Ubuntu 22.04.5 LTS',
      operatingSystem: 'linux',
      architecture: 'amd64',
      kernelVersion: '5.15.0-1074',
    },
  };
}
