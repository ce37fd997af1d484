// Mesh drift that object diffs miss, read from what the report already holds: proxies of another
// version than the control plane, pods still trusting an older trust bundle, and namespaces or
// workloads Meshfleet meshed whose injection annotation was changed by hand (its marker is still
// there, so Meshfleet did not undo it). One finding per workload or namespace, not per pod.
import {
  MAX_DRIFT_FINDINGS,
  type DriftFinding,
  type DriftReport,
  type MtlsStatus,
} from '@meshfleet/agent-protocol';

const INJECT = 'linkerd.io/inject';
/** Written by mesh adoption next to the annotation it set (see mesh-annotations.ts). */
const MESHED_BY_MESHFLEET = 'meshfleet.io/inject-before';

interface Meta {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
}
interface Workload {
  metadata?: Meta;
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

export interface PodMeshInput {
  controlPlaneVersion: string | null;
  mtls: Pick<MtlsStatus, 'namespaces'>;
  namespaces: Array<{ metadata?: Meta }>;
  /** Informer list items carry no kind: it comes alongside. */
  workloads: Array<{ kind: string; items: Workload[] }>;
}

const finding = (
  kind: string,
  namespace: string | null,
  name: string,
  path: string,
  desired: string | null,
  live: string | null,
): DriftFinding => ({
  reason: 'POD_MESH',
  kind,
  namespace,
  name,
  path,
  desired,
  live,
  manager: null,
  since: null,
});

export function podMeshFindings(i: PodMeshInput): DriftFinding[] {
  const out: DriftFinding[] = [];
  for (const ns of i.mtls.namespaces) {
    if (i.controlPlaneVersion)
      for (const w of ns.workloads)
        for (const v of w.proxyVersions)
          if (v.version !== i.controlPlaneVersion)
            out.push(
              finding(
                w.kind,
                ns.name,
                w.name,
                'proxy.version',
                i.controlPlaneVersion,
                `${v.version} (${v.count} pods)`,
              ),
            );
    if (ns.staleTrustBundlePods > 0)
      out.push(
        finding(
          'Namespace',
          null,
          ns.name,
          'proxy.trustRoots',
          'the current trust bundle',
          `${ns.staleTrustBundlePods} pod(s) on an older bundle`,
        ),
      );
  }
  for (const n of i.namespaces) {
    const a = n.metadata?.annotations ?? {};
    if (MESHED_BY_MESHFLEET in a && a[INJECT] !== 'enabled')
      out.push(
        finding(
          'Namespace',
          null,
          n.metadata?.name ?? '',
          `metadata.annotations.${INJECT}`,
          'enabled',
          a[INJECT] ?? null,
        ),
      );
  }
  for (const { kind, items } of i.workloads)
    for (const w of items) {
      const marker = w.metadata?.annotations ?? {};
      const template = w.spec?.template?.metadata?.annotations ?? {};
      if (MESHED_BY_MESHFLEET in marker && template[INJECT] !== 'enabled')
        out.push(
          finding(
            kind,
            w.metadata?.namespace ?? null,
            w.metadata?.name ?? '',
            `spec.template.metadata.annotations.${INJECT}`,
            'enabled',
            template[INJECT] ?? null,
          ),
        );
    }
  return out;
}

/** The object drift with the pod-level findings after it (`total` keeps counting objects only). */
export function withPodMesh(drift: DriftReport, pods: DriftFinding[]): DriftReport {
  return {
    ...drift,
    podMeshTotal: pods.length,
    findings: [...drift.findings, ...pods].slice(0, MAX_DRIFT_FINDINGS),
  };
}
