// Per-cluster resource registry: the built-ins plus whatever the cluster's CRDs define.
// Routing, discovery and storage all look resources up here.
import { KubeObject } from '../store/types';
import { BUILTIN_TYPES, ResourceType, resourceKey } from './resource-types';

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
  versions: Array<{
    name: string;
    served: boolean;
    storage: boolean;
    subresources?: { status?: object; scale?: object };
  }>;
}

export class ResourceRegistry {
  private readonly custom = new Map<string, ResourceType>();
  /** Types an aggregated APIService serves (e.g. metrics.k8s.io), keyed by APIService name. */
  private readonly aggregated = new Map<string, ResourceType[]>();

  all(): ResourceType[] {
    return [...BUILTIN_TYPES, ...this.custom.values(), ...[...this.aggregated.values()].flat()];
  }

  defineAggregated(apiService: string, types: ResourceType[]): void {
    this.aggregated.set(apiService, types);
  }

  undefineAggregated(apiService: string): void {
    this.aggregated.delete(apiService);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    return this.all().find((t) => t.group === group && t.kind === kind && t.versions.includes(version ?? ''));
  }

  /** Group → versions, preferred first, for discovery. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.all()) {
      const versions = out.get(t.group) ?? [];
      for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
      out.set(t.group, versions);
    }
    return out;
  }

  /** Registers (or re-registers) the resource a CRD defines; returns its storage key. */
  defineFromCrd(crd: KubeObject): string {
    const spec = crd['spec'] as CrdSpec;
    const served = spec.versions.filter((v) => v.served);
    const storage = served.find((v) => v.storage) ?? served[0];
    const ordered = storage ? [storage, ...served.filter((v) => v !== storage)] : served;
    const subresources: ResourceType['subresources'] = [];
    if (storage?.subresources?.status) subresources.push('status');
    if (storage?.subresources?.scale) subresources.push('scale');
    const type: ResourceType = {
      group: spec.group,
      versions: ordered.map((v) => v.name),
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      kind: spec.names.kind,
      namespaced: spec.scope === 'Namespaced',
      subresources,
      custom: true,
      ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
      ...(spec.names.categories ? { categories: spec.names.categories } : {}),
    };
    const key = resourceKey(type.group, type.plural);
    this.custom.set(key, type);
    return key;
  }

  undefine(crd: KubeObject): string | undefined {
    const spec = crd['spec'] as CrdSpec | undefined;
    if (!spec) return undefined;
    const key = resourceKey(spec.group, spec.names.plural);
    this.custom.delete(key);
    return key;
  }
}
