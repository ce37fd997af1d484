// One drift pass over the desired objects: GET live (missing = DELETED), server-side-apply dry
// run with the agent's manager and force, diff. Sequential and bounded: a Linkerd control
// plane is some fifty objects, checked at most once per report interval.
import { MAX_DRIFT_FINDINGS, type DriftFinding, type DriftReport } from '@meshfleet/agent-protocol';
import { FIELD_MANAGER, type ClusterOps } from '../kube/cluster-ops';
import type { DesiredSnapshot } from './desired-state';
import { deletedFinding, diffObject, type KubeLike } from './drift-diff';
import { skippedObject } from './ignore-rules';

type Ops = Pick<ClusterOps, 'get' | 'applyDryRun' | 'listIfServed'>;

interface Hpa {
  spec?: { scaleTargetRef?: { kind?: string; name?: string } };
}

async function hpaTargets(ops: Ops, namespaces: Set<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ns of namespaces) {
    const hpas =
      (await ops.listIfServed<Hpa & { kind?: string }>('autoscaling/v2', 'HorizontalPodAutoscaler', ns)) ??
      [];
    for (const h of hpas) {
      const ref = h.spec?.scaleTargetRef;
      if (ref?.kind && ref.name) out.add(`${ns}/${ref.kind}/${ref.name}`);
    }
  }
  return out;
}

/**
 * Per object (kind/namespace/name), the live resourceVersion last diffed and what the diff found:
 * an unchanged object is not dry-run again. Valid for one desired generation.
 */
export type DiffCache = Map<
  string,
  { resourceVersion: string; hpaTargeted: boolean; findings: DriftFinding[] }
>;

export async function checkDrift(
  ops: Ops,
  desired: DesiredSnapshot,
  now = new Date(),
  cache: DiffCache = new Map(),
): Promise<DriftReport> {
  const namespaces = new Set(
    desired.objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])),
  );
  const hpa = await hpaTargets(ops, namespaces);
  const findings: DriftFinding[] = [];
  let checked = 0;
  for (const want of desired.objects) {
    const ref = {
      apiVersion: want.apiVersion,
      kind: want.kind,
      name: want.metadata.name,
      ...(want.metadata.namespace ? { namespace: want.metadata.namespace } : {}),
    };
    const live = (await ops.get(ref)) as KubeLike | null;
    if (!live) {
      findings.push(deletedFinding(want));
      checked++;
      continue;
    }
    if (skippedObject(live)) continue;
    checked++;
    const key = `${want.kind}/${want.metadata.namespace ?? ''}/${want.metadata.name}`;
    const hpaTargeted = hpa.has(`${want.metadata.namespace ?? ''}/${want.kind}/${want.metadata.name}`);
    const rv = String(live.metadata?.['resourceVersion'] ?? '');
    const known = cache.get(key);
    if (known && rv && known.resourceVersion === rv && known.hpaTargeted === hpaTargeted) {
      findings.push(...known.findings);
      continue;
    }
    const dry = (await ops.applyDryRun(want)) as KubeLike;
    const found = diffObject(dry, live, { selfManager: FIELD_MANAGER, hpaTargeted });
    cache.set(key, { resourceVersion: rv, hpaTargeted, findings: found });
    findings.push(...found);
  }
  const since = now.toISOString();
  return {
    checkedAt: since,
    desiredDigest: desired.digest,
    objectsChecked: checked,
    total: findings.length,
    podMeshTotal: 0,
    findings: findings.slice(0, MAX_DRIFT_FINDINGS).map((f) => ({ ...f, since: f.since ?? since })),
  };
}
