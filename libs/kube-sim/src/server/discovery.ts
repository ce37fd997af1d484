// Discovery documents (/api, /apis, /api/v1, /apis/<g>/<v>) and /version, built from the
// cluster's registry so CRD-defined resources appear as soon as they are registered.
import { ResourceRegistry } from '../api/registry';
import { ResourceType } from '../api/resource-types';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceEntries(types: ResourceType[], version: string): unknown[] {
  const out: unknown[] = [];
  for (const t of types) {
    const base = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.metrics ? ['get', 'list'] : t.virtual ? ['create'] : VERBS,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
      storageVersionHash: Buffer.from(`${t.group}/${version}/${t.plural}`).toString('base64').slice(0, 11),
    };
    out.push(base);
    for (const sub of t.subresources) {
      if (sub === 'status')
        out.push({
          name: `${t.plural}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        });
      if (sub === 'scale')
        out.push({
          name: `${t.plural}/scale`,
          singularName: '',
          namespaced: t.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
      if (sub === 'log')
        out.push({
          name: `${t.plural}/log`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get'],
        });
      if (sub === 'eviction')
        out.push({
          name: `${t.plural}/eviction`,
          singularName: '',
          namespaced: t.namespaced,
          group: 'policy',
          version: 'v1',
          kind: 'Eviction',
          verbs: ['create'],
        });
      if (sub === 'proxy')
        out.push({
          name: `${t.plural}/proxy`,
          singularName: '',
          namespaced: t.namespaced,
          kind: `${t.kind}ProxyOptions`,
          verbs: ['create', 'delete', 'get', 'patch', 'update'],
        });
    }
  }
  return out;
}

export function apiVersions(): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
  };
}

export function apiGroupList(registry: ResourceRegistry): unknown {
  const groups = [...registry.groups()].filter(([g]) => g !== '');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(([name, versions]) => apiGroup(name, versions)),
  };
}

export function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: gv, preferredVersion: gv[0] };
}

export function resourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): unknown | undefined {
  const types = registry.all().filter((t) => t.group === group && t.versions.includes(version));
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: resourceEntries(types, version),
  };
}

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** Provider-flavoured gitVersion: EKS and GKE add suffixes, AKS and on-prem report plain semver. */
export function versionInfo(kubernetesVersion: string, provider: string): VersionInfo {
  const [major = '1', minor = '31'] = kubernetesVersion.replace(/^v/, '').split('.');
  const plain = `v${kubernetesVersion.replace(/^v/, '')}`;
  const gitVersion =
    provider === 'eks' ? `${plain}-eks-3cfe4d1` : provider === 'gke' ? `${plain}-gke.1200000` : plain;
  return {
    major,
    minor: provider === 'eks' || provider === 'gke' ? `${minor}+` : minor,
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-15T00:00:00Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
