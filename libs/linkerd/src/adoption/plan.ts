// Mesh adoption plan: for each selected workload, will the injector mesh it once its namespace
// (or it) is annotated and it is restarted, and why not; what to set first; in which order and
// batches the restarts go. Pure over the agent's adoption facts; writes nothing.
import type { AdoptionFacts, AdoptionWorkload, AdoptionWorkloadKind } from '@meshfleet/agent-protocol';
import { ANNOTATION_OPAQUE_PORTS } from './facts';

/**
 * Linkerd's chart default `proxy.opaquePorts` (charts/linkerd-control-plane/values.yaml), used
 * when linkerd-config does not say: SMTP 25/587, MySQL 3306, Galera 4444, PostgreSQL 5432,
 * Redis 6379, Elasticsearch transport 9300, Memcached 11211.
 */
export const LINKERD_DEFAULT_OPAQUE_PORTS = '25,587,3306,4444,5432,6379,9300,11211';

/**
 * Protocols where the server speaks first (or the client sends no preamble), which defeats the
 * proxy's protocol detection: connections stall ~10 s, then fall back to opaque TCP. The ones in
 * the default list above are opaque already; the others need `config.linkerd.io/opaque-ports`.
 */
export const SERVER_SPEAKS_FIRST_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'FTP'],
  [22, 'SSH'],
  [25, 'SMTP'],
  [110, 'POP3'],
  [143, 'IMAP'],
  [587, 'SMTP submission'],
  [3306, 'MySQL'],
  [4222, 'NATS'],
  [4444, 'Galera'],
  [5432, 'PostgreSQL'],
  [6379, 'Redis'],
  [9300, 'Elasticsearch transport'],
  [11211, 'Memcached'],
]);

export type AdoptionVerdict = 'WILL_MESH' | 'ALREADY_MESHED' | 'OPTED_OUT' | 'WILL_NOT_MESH' | 'BLOCKED';
export type AdoptionSeverity = 'BLOCKER' | 'WARNING' | 'INFO';
export type AdoptionReasonCode =
  | 'ALREADY_MESHED'
  | 'OPTED_OUT'
  | 'HOST_NETWORK'
  | 'AUTOMOUNT_TOKEN_DISABLED'
  | 'UDP_PORT'
  | 'SERVER_SPEAKS_FIRST_PORT'
  | 'JOB_WITHOUT_NATIVE_SIDECAR'
  | 'JOB_NOT_RESTARTED'
  | 'SINGLE_REPLICA_NO_PDB'
  | 'PDB_ALLOWS_NO_DISRUPTION'
  | 'SCALED_TO_ZERO'
  | 'INJECTOR_FAIL_OPEN_UNHEALTHY'
  | 'INJECTOR_UNAVAILABLE'
  | 'INJECTOR_MISSING'
  | 'FACTS_TRUNCATED'
  | 'FACTS_INCOMPLETE';

export interface AdoptionReason {
  code: AdoptionReasonCode;
  severity: AdoptionSeverity;
  message: string;
  port?: number;
  protocol?: string;
}

export interface ProposedAnnotation {
  key: string;
  value: string;
}

export interface AdoptionWorkloadRef {
  namespace: string;
  kind: AdoptionWorkloadKind;
  name: string;
}

export interface WorkloadAdoption extends AdoptionWorkloadRef {
  verdict: AdoptionVerdict;
  reasons: AdoptionReason[];
  /** Pod-template annotations to set together with `linkerd.io/inject: enabled`. */
  proposedAnnotations: ProposedAnnotation[];
  replicas: number | null;
  /** 1-based restart batch; null when nothing is restarted (not meshing, Jobs, zero replicas). */
  batch: number | null;
}

export interface AdoptionBatch {
  index: number;
  workloads: AdoptionWorkloadRef[];
}

export interface AdoptionPlan {
  /** Cluster-level reasons; any BLOCKER turns every WILL_MESH into BLOCKED (the batches show what follows its fix). */
  clusterReasons: AdoptionReason[];
  workloads: WorkloadAdoption[];
  batches: AdoptionBatch[];
  batchSize: number;
  /** Why this order (shown with the plan). */
  order: string;
}

export interface AdoptionSelection {
  namespaces?: readonly string[];
  workloads?: readonly AdoptionWorkloadRef[];
  /** Workloads per restart batch; default defaultBatchSize(count). */
  batchSize?: number | null;
}

export interface AdoptionPlanOptions {
  /** Control-plane version (e.g. `edge-26.6.3`, `2.20.0`, `enterprise-2.20.0`); null when unknown. */
  linkerdVersion: string | null;
}

export const MAX_BATCH_SIZE = 50;

/** A small batch that grows slowly with the count: 1 up to 4 restarts, at most 5. */
export function defaultBatchSize(restarts: number): number {
  return Math.max(1, Math.min(5, Math.floor(Math.sqrt(restarts))));
}

/** Comma list of ports and ranges (`5432,8000-8010`), as Linkerd's port annotations take. */
export function portListIncludes(list: string | null | undefined, port: number): boolean {
  for (const part of (list ?? '').split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (port >= lo && port <= hi) return true;
  }
  return false;
}

/**
 * Native sidecars (the proxy as a restartable init container) are the default from Linkerd 2.20
 * (`proxy.nativeSidecar: true`); with them a Job's pod completes when its containers exit.
 * linkerd-config says so explicitly from the release that added the value; otherwise the version
 * decides. Edge releases from edge-26.6.3 are 2.20.
 */
export function nativeSidecarInUse(
  facts: Pick<AdoptionFacts, 'nativeSidecar'>,
  version: string | null,
): boolean {
  if (facts.nativeSidecar !== null) return facts.nativeSidecar;
  if (!version) return false;
  const edge = /^edge-(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (edge) {
    const [y, m, n] = [Number(edge[1]), Number(edge[2]), Number(edge[3])];
    return y > 26 || (y === 26 && (m > 6 || (m === 6 && n >= 3)));
  }
  const v = /(\d+)\.(\d+)/.exec(version);
  return !!v && (Number(v[1]) > 2 || (Number(v[1]) === 2 && Number(v[2]) >= 20));
}

function clusterReasons(facts: AdoptionFacts): AdoptionReason[] {
  const out: AdoptionReason[] = [];
  const { failurePolicy, available } = facts.injector;
  if (failurePolicy === null)
    out.push({
      code: 'INJECTOR_MISSING',
      severity: 'BLOCKER',
      message: 'The proxy-injector webhook is not registered: restarted pods would start without a proxy',
    });
  else if (!available && failurePolicy === 'Ignore')
    out.push({
      code: 'INJECTOR_FAIL_OPEN_UNHEALTHY',
      severity: 'BLOCKER',
      message:
        'The proxy injector is not available and its webhook fails open (failurePolicy: Ignore): ' +
        'restarted pods would start unmeshed, silently',
    });
  else if (!available)
    out.push({
      code: 'INJECTOR_UNAVAILABLE',
      severity: 'BLOCKER',
      message:
        'The proxy injector is not available and its webhook fails closed (failurePolicy: Fail): ' +
        'restarted pods could not be created',
    });
  if (facts.namespacesTruncated || facts.namespaces.some((n) => n.workloadsTruncated))
    out.push({
      code: 'FACTS_TRUNCATED',
      severity: 'WARNING',
      message: 'The report lists only part of the workloads: the plan covers those it lists',
    });
  if (facts.unreadKinds.length)
    out.push({
      code: 'FACTS_INCOMPLETE',
      severity: 'WARNING',
      message:
        `The agent cannot list ${facts.unreadKinds.join(', ')} (its RBAC predates them): those workloads are missing` +
        (facts.unreadKinds.includes('PodDisruptionBudget')
          ? ' and every workload counts as having no PDB'
          : ''),
    });
  return out;
}

function portReasons(
  w: AdoptionWorkload,
  nsOpaque: string | null,
  defaultOpaque: string,
  defaultKnown: boolean,
): { reasons: AdoptionReason[]; opaque: number[] } {
  const reasons: AdoptionReason[] = [];
  const opaque: number[] = [];
  for (const p of w.ports) {
    if (p.protocol === 'UDP') {
      reasons.push({
        code: 'UDP_PORT',
        severity: 'WARNING',
        message: `Port ${p.port}/UDP: the proxy carries TCP only; this traffic stays unmeshed and unencrypted`,
        port: p.port,
        protocol: 'UDP',
      });
      continue;
    }
    const proto = SERVER_SPEAKS_FIRST_PORTS.get(p.port);
    if (!proto) continue;
    const covered =
      portListIncludes(w.opaquePorts ?? nsOpaque, p.port) || portListIncludes(w.skipInboundPorts, p.port);
    const byDefault = !covered && portListIncludes(defaultOpaque, p.port);
    if (covered || byDefault) {
      reasons.push({
        code: 'SERVER_SPEAKS_FIRST_PORT',
        severity: 'INFO',
        message: covered
          ? `Port ${p.port} (${proto}, server speaks first) is already opaque or skipped by its annotations`
          : `Port ${p.port} (${proto}, server speaks first) is in the cluster's default opaque ports` +
            (defaultKnown ? '' : " (Linkerd's chart default; linkerd-config did not list them)") +
            ': no annotation needed',
        port: p.port,
        protocol: proto,
      });
      continue;
    }
    opaque.push(p.port);
    reasons.push({
      code: 'SERVER_SPEAKS_FIRST_PORT',
      severity: 'WARNING',
      message:
        `Port ${p.port} (${proto}) is server-speaks-first and not opaque: protocol detection would stall ` +
        `its connections; mark it opaque (${ANNOTATION_OPAQUE_PORTS})`,
      port: p.port,
      protocol: proto,
    });
  }
  return { reasons, opaque };
}

function assess(
  ns: AdoptionFacts['namespaces'][number],
  w: AdoptionWorkload,
  facts: AdoptionFacts,
  native: boolean,
  blocked: boolean,
): Omit<WorkloadAdoption, 'batch'> {
  const ref = { namespace: ns.name, kind: w.kind, name: w.name };
  const base = { ...ref, replicas: w.replicas, proposedAnnotations: [] as ProposedAnnotation[] };
  const isJob = w.kind === 'Job' || w.kind === 'CronJob';
  if (w.totalPods > 0 && w.meshedPods === w.totalPods && w.inject !== 'disabled')
    return {
      ...base,
      verdict: 'ALREADY_MESHED',
      reasons: [
        { code: 'ALREADY_MESHED', severity: 'INFO', message: `All ${w.totalPods} running pods have a proxy` },
      ],
    };
  // A workload's own `disabled` overrides whatever the namespace says: the operation respects it.
  if (w.inject === 'disabled')
    return {
      ...base,
      verdict: 'OPTED_OUT',
      reasons: [
        { code: 'OPTED_OUT', severity: 'INFO', message: 'The pod template says linkerd.io/inject: disabled' },
      ],
    };
  const stops: AdoptionReason[] = [];
  if (w.hostNetwork)
    stops.push({
      code: 'HOST_NETWORK',
      severity: 'BLOCKER',
      message: 'hostNetwork is enabled: the injector skips the pod (its traffic cannot be redirected)',
    });
  if (w.automountToken === false && facts.tokenProjection === false)
    stops.push({
      code: 'AUTOMOUNT_TOKEN_DISABLED',
      severity: 'BLOCKER',
      message:
        'automountServiceAccountToken is false and the control plane does not project its own token: ' +
        'the proxy could not get an identity, so the injector skips the pod',
    });
  if (stops.length) return { ...base, verdict: 'WILL_NOT_MESH', reasons: stops };

  const defaultKnown = facts.defaultOpaquePorts !== null;
  const { reasons, opaque } = portReasons(
    w,
    ns.opaquePorts,
    facts.defaultOpaquePorts ?? LINKERD_DEFAULT_OPAQUE_PORTS,
    defaultKnown,
  );
  const proposed: ProposedAnnotation[] = [];
  if (opaque.length) {
    const existing = (w.opaquePorts ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    proposed.push({ key: ANNOTATION_OPAQUE_PORTS, value: [...existing, ...opaque.map(String)].join(',') });
  }
  if (isJob) {
    reasons.push(
      native
        ? {
            code: 'JOB_NOT_RESTARTED',
            severity: 'INFO',
            message: `A ${w.kind} is not restarted: its next run gets the proxy (a native sidecar, so the run still completes)`,
          }
        : {
            code: 'JOB_WITHOUT_NATIVE_SIDECAR',
            severity: 'WARNING',
            message:
              `Without native sidecars (proxy.nativeSidecar, default from Linkerd 2.20) the proxy keeps a ${w.kind}'s ` +
              'pods running after its containers exit: the run never completes unless it shuts the proxy down ' +
              '(linkerd-await --shutdown)',
          },
    );
  } else if (w.replicas === 0) {
    reasons.push({
      code: 'SCALED_TO_ZERO',
      severity: 'INFO',
      message: 'Scaled to zero: nothing to restart; pods get the proxy when it scales up',
    });
  } else {
    if (w.replicas === 1 && w.pdb === null)
      reasons.push({
        code: 'SINGLE_REPLICA_NO_PDB',
        severity: 'WARNING',
        message: 'One replica and no PodDisruptionBudget: its restart is downtime',
      });
    if (w.pdb && w.pdb.disruptionsAllowed === 0)
      reasons.push({
        code: 'PDB_ALLOWS_NO_DISRUPTION',
        severity: 'WARNING',
        message: `PodDisruptionBudget ${w.pdb.name} allows no disruption now: its batch waits until pods are Ready`,
      });
  }
  if (blocked) return { ...base, verdict: 'BLOCKED', reasons, proposedAnnotations: proposed };
  return { ...base, verdict: 'WILL_MESH', reasons, proposedAnnotations: proposed };
}

/** Restarts whose failure costs least go first, so a bad injector or proxy shows up there. */
function riskRank(w: WorkloadAdoption): number {
  const codes = new Set(w.reasons.map((r) => r.code));
  if (codes.has('SINGLE_REPLICA_NO_PDB')) return 2;
  if (w.reasons.some((r) => r.severity === 'WARNING')) return 1;
  return 0;
}

export const ADOPTION_ORDER =
  'Workloads that tolerate a restart go first (several replicas, no warnings), then those with warnings, ' +
  'then single-replica workloads without a PodDisruptionBudget, each alone in its batch: a broken injector ' +
  'or proxy setting is caught on restarts that cost nothing, and a downtime restart never shares its batch.';

/**
 * The selected workloads: every workload of `selection.namespaces` plus `selection.workloads`.
 * Unknown namespaces and workloads are the caller's to refuse (namespaceRefusal); here they
 * simply select nothing.
 */
export function planMeshAdoption(
  facts: AdoptionFacts,
  selection: AdoptionSelection,
  options: AdoptionPlanOptions,
): AdoptionPlan {
  const native = nativeSidecarInUse(facts, options.linkerdVersion);
  const cluster = clusterReasons(facts);
  const blocked = cluster.some((r) => r.severity === 'BLOCKER');
  const wantNs = new Set(selection.namespaces ?? []);
  const wantW = new Set((selection.workloads ?? []).map((w) => `${w.namespace}/${w.kind}/${w.name}`));
  const assessed: Array<Omit<WorkloadAdoption, 'batch'>> = [];
  for (const ns of facts.namespaces)
    for (const w of ns.workloads)
      if (wantNs.has(ns.name) || wantW.has(`${ns.name}/${w.kind}/${w.name}`))
        assessed.push(assess(ns, w, facts, native, blocked));

  const restarts = assessed
    .filter(
      (w) =>
        (w.verdict === 'WILL_MESH' || w.verdict === 'BLOCKED') &&
        w.kind !== 'Job' &&
        w.kind !== 'CronJob' &&
        w.replicas !== 0,
    )
    .map((w) => ({ ...w, batch: null as number | null }));
  const batchSize = selection.batchSize ?? defaultBatchSize(restarts.length);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)
    throw new RangeError(`batchSize must be between 1 and ${MAX_BATCH_SIZE}`);
  restarts.sort(
    (a, b) =>
      riskRank(a) - riskRank(b) ||
      a.namespace.localeCompare(b.namespace) ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name),
  );
  const batches: AdoptionBatch[] = [];
  for (const w of restarts) {
    const last = batches.at(-1);
    const alone = riskRank(w) === 2;
    const lastAlone = last ? restarts.find((r) => r.batch === last.index && riskRank(r) === 2) : undefined;
    if (!last || alone || lastAlone || last.workloads.length >= batchSize)
      batches.push({ index: batches.length + 1, workloads: [] });
    const b = batches.at(-1)!;
    b.workloads.push({ namespace: w.namespace, kind: w.kind, name: w.name });
    w.batch = b.index;
  }
  const batchOf = new Map(restarts.map((w) => [`${w.namespace}/${w.kind}/${w.name}`, w.batch]));
  const workloads: WorkloadAdoption[] = assessed.map((w) => ({
    ...w,
    batch: batchOf.get(`${w.namespace}/${w.kind}/${w.name}`) ?? null,
  }));
  return { clusterReasons: cluster, workloads, batches, batchSize, order: ADOPTION_ORDER };
}
