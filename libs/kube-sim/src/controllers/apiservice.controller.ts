// The kube-aggregator's side of APIServices: the Available condition (Local, ServiceNotFound,
// ServicePortError, EndpointsNotFound, MissingEndpoints, Passed, with the aggregator's own
// messages), plus the local APIServices it registers for built-in groups and CRD groups.
// Endpoints carry pod readiness, so an extension server whose pods are not Ready stays
// unavailable. The discovery probe of the real aggregator is not simulated: ready pods pass.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { BUILTIN_TYPES, ResourceType } from '../api/resource-types';
import { METRICS_API_SERVICE, METRICS_TYPES } from '../metrics/metrics-api';
import { KubeObject, StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { Condition, setCondition } from './helpers';

const GROUP = 'apiregistration.k8s.io';
const STORE_KEY = `${GROUP}/apiservices`;
/** Reconcile key for "bring the CRD groups' APIServices in line". */
const CRD_GROUPS = '\u0000crd-groups';
const AUTOMANAGED = 'kube-aggregator.kubernetes.io/automanaged';
/** Aggregated APIs the simulator can serve itself once their APIService is registered. */
const AGGREGATED: Record<string, ResourceType[]> = { [METRICS_API_SERVICE]: METRICS_TYPES };

/** groupPriorityMinimum the API server gives its own groups (higher sorts first in discovery). */
const PRIORITY: Record<string, number> = {
  '': 18000,
  apps: 17800,
  'authorization.k8s.io': 17600,
  batch: 17400,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  [GROUP]: 16700,
};

interface ServiceRef {
  namespace?: string;
  name?: string;
  port?: number;
}

interface ApiServiceSpec {
  group?: string;
  version?: string;
  service?: ServiceRef | null;
}

/** The local APIServices a fresh API server registers for its built-in group versions. */
export function builtinApiServices(): KubeObject[] {
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const t of BUILTIN_TYPES)
    for (const v of t.versions) {
      const name = `${v}.${t.group}`;
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(localApiService(t.group, v, 'onstart', PRIORITY[t.group] ?? 16000, 15));
    }
  return out;
}

function localApiService(
  group: string,
  version: string,
  managed: string,
  groupPriorityMinimum: number,
  versionPriority: number,
): KubeObject {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'APIService',
    metadata: { name: `${version}.${group}`, labels: { [AUTOMANAGED]: managed } },
    spec: { group, version, groupPriorityMinimum, versionPriority },
  };
}

export class ApiServiceController implements Controller {
  readonly name = 'apiservice';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    const o = e.object;
    if (o.kind === 'APIService' && e.type === 'DELETED' && AGGREGATED[o.metadata.name ?? ''])
      this.cluster.registry.undefineAggregated(o.metadata.name ?? '');
    if (o.kind === 'APIService') return e.type === 'DELETED' ? [] : [o.metadata.name ?? ''];
    if (o.kind === 'CustomResourceDefinition') return [CRD_GROUPS];
    if (o.kind !== 'Service' && o.kind !== 'Endpoints') return [];
    return this.cluster.store
      .list(STORE_KEY)
      .filter((a) => {
        const ref = (a['spec'] as ApiServiceSpec | undefined)?.service;
        return ref && ref.namespace === o.metadata.namespace && ref.name === o.metadata.name;
      })
      .map((a) => a.metadata.name ?? '');
  }

  reconcile(key: string): void {
    if (key === CRD_GROUPS) return this.syncCrdGroups();
    const type = this.cluster.type(GROUP, 'apiservices');
    const api = this.cluster.objects.find(type, undefined, key);
    if (!api || api.metadata.deletionTimestamp) return;
    const served = AGGREGATED[key];
    if (served && (api['spec'] as ApiServiceSpec | undefined)?.service)
      this.cluster.registry.defineAggregated(key, served);
    const status = (api['status'] ?? {}) as { conditions?: Condition[] };
    const conditions = setCondition(status.conditions, this.available(api), nowIso());
    this.cluster.objects.writeStatus(type, api, { ...status, conditions });
  }

  private available(api: KubeObject): Condition {
    const ref = (api['spec'] as ApiServiceSpec | undefined)?.service;
    if (!ref)
      return {
        type: 'Available',
        status: 'True',
        reason: 'Local',
        message: 'Local APIServices are always available',
      };
    const ns = ref.namespace ?? '';
    const name = ref.name ?? '';
    const port = ref.port ?? 443;
    const where = `service/${name} in "${ns}"`;
    const down = (reason: string, message: string): Condition => ({
      type: 'Available',
      status: 'False',
      reason,
      message,
    });
    const svc = this.cluster.objects.find(this.cluster.type('', 'services'), ns, name);
    if (!svc) return down('ServiceNotFound', `${where} is not present`);
    const spec = (svc['spec'] ?? {}) as { type?: string; ports?: Array<{ name?: string; port: number }> };
    // The aggregator checks ports and endpoints only for ClusterIP Services (the default type).
    if ((spec.type ?? 'ClusterIP') === 'ClusterIP') {
      const svcPort = (spec.ports ?? []).find((p) => p.port === port);
      if (!svcPort) return down('ServicePortError', `${where} is not listening on port ${port}`);
      const portName = svcPort.name ?? '';
      const ep = this.cluster.objects.find(this.cluster.type('', 'endpoints'), ns, name);
      if (!ep) return down('EndpointsNotFound', `cannot find endpoints for ${where}`);
      const subsets = (ep['subsets'] ?? []) as Array<{
        addresses?: unknown[];
        ports?: Array<{ name?: string }>;
      }>;
      const active = subsets.some(
        (s) => (s.addresses ?? []).length > 0 && (s.ports ?? []).some((p) => (p.name ?? '') === portName),
      );
      if (!active)
        return down(
          'MissingEndpoints',
          `endpoints for ${where} have no addresses with port name "${portName}"`,
        );
    }
    return { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
  }

  /** One local APIService per group version a CRD serves; removed when no CRD serves it. */
  private syncCrdGroups(): void {
    const objects = this.cluster.objects;
    const type = this.cluster.type(GROUP, 'apiservices');
    const wanted = new Map<string, KubeObject>();
    for (const crd of this.cluster.store.list('apiextensions.k8s.io/customresourcedefinitions')) {
      if (crd.metadata.deletionTimestamp) continue;
      const spec = crd['spec'] as { group: string; versions?: Array<{ name: string; served?: boolean }> };
      for (const v of spec.versions ?? [])
        if (v.served)
          wanted.set(`${v.name}.${spec.group}`, localApiService(spec.group, v.name, 'true', 1000, 100));
    }
    for (const [name, obj] of wanted)
      if (!objects.find(type, undefined, name))
        objects.create(type, undefined, obj, { fieldManager: 'kube-apiserver' });
    for (const a of this.cluster.store.list(STORE_KEY))
      if (a.metadata.labels?.[AUTOMANAGED] === 'true' && !wanted.has(a.metadata.name ?? ''))
        objects.delete(type, undefined, a.metadata.name ?? '');
  }
}
