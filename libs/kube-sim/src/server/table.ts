// meta.k8s.io Table responses: kubectl's default `get` output asks for these.
import { KubeObject } from '../store/types';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const col = (name: string, description = name): Column => ({
  name,
  type: 'string',
  description,
  priority: 0,
});

function extra(kind: string, o: KubeObject): { columns: Column[]; cells: unknown[] } {
  const status = (o['status'] ?? {}) as Record<string, unknown>;
  const spec = (o['spec'] ?? {}) as Record<string, unknown>;
  if (kind === 'Pod') {
    // Native sidecars (restartable init containers) count like containers, as kubectl shows them.
    const sidecars = ((spec['initContainers'] ?? []) as Array<{ restartPolicy?: string }>).filter(
      (c) => c.restartPolicy === 'Always',
    ).length;
    const initStatuses = (status['initContainerStatuses'] ?? []) as Array<{
      ready?: boolean;
      restartCount?: number;
      started?: boolean;
    }>;
    const cs = [
      ...((status['containerStatuses'] ?? []) as Array<{ ready?: boolean; restartCount?: number }>),
      ...(sidecars ? initStatuses.filter((c) => c.started) : []),
    ];
    const total = ((spec['containers'] ?? []) as unknown[]).length + sidecars;
    return {
      columns: [col('Ready'), col('Status'), col('Restarts')],
      cells: [
        `${cs.filter((c) => c.ready).length}/${total}`,
        o.metadata.deletionTimestamp ? 'Terminating' : String(status['phase'] ?? 'Pending'),
        String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)),
      ],
    };
  }
  if (kind === 'Deployment') {
    return {
      columns: [col('Ready'), col('Up-to-date'), col('Available')],
      cells: [
        `${Number(status['readyReplicas'] ?? 0)}/${Number(spec['replicas'] ?? 1)}`,
        Number(status['updatedReplicas'] ?? 0),
        Number(status['availableReplicas'] ?? 0),
      ],
    };
  }
  if (kind === 'Namespace') return { columns: [col('Status')], cells: [String(status['phase'] ?? 'Active')] };
  if (kind === 'Node') {
    const conds = (status['conditions'] ?? []) as Array<{ type: string; status: string }>;
    const ready = conds.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady';
    const info = (status['nodeInfo'] ?? {}) as { kubeletVersion?: string };
    return { columns: [col('Status'), col('Version')], cells: [ready, info.kubeletVersion ?? ''] };
  }
  if (kind === 'APIService') {
    // As `kubectl get apiservices` prints them: "Local" or ns/name, "True" or "False (Reason)".
    const ref = spec['service'] as { namespace?: string; name?: string } | null | undefined;
    const cond = (
      (status['conditions'] ?? []) as Array<{ type: string; status: string; reason?: string }>
    ).find((c) => c.type === 'Available');
    const available = !cond
      ? 'Unknown'
      : cond.status === 'True'
        ? 'True'
        : `${cond.status} (${cond.reason ?? ''})`;
    return {
      columns: [col('Service'), col('Available')],
      cells: [ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : 'Local', available],
    };
  }
  return { columns: [], cells: [] };
}

export function toTable(
  kind: string,
  items: KubeObject[],
  resourceVersion: string,
  continueToken?: string,
): unknown {
  const sample = items[0];
  const extraColumns = sample
    ? extra(kind, sample).columns
    : extra(kind, { apiVersion: '', kind, metadata: {} }).columns;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...(continueToken ? { continue: continueToken } : {}) },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
      ...extraColumns,
      { name: 'Age', type: 'string', description: 'Age', priority: 0 },
    ],
    rows: items.map((o) => ({
      cells: [o.metadata.name, ...extra(kind, o).cells, age(o.metadata.creationTimestamp)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

export const wantsTable = (accept: string | undefined): boolean => !!accept && accept.includes('as=Table');
