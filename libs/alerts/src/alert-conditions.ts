// Which alerts a cluster's current state calls for. Pure: the evaluator supplies the state.
import { gitopsToolLabel, type GitopsSource, type ResourceUsage } from '@meshfleet/agent-protocol';
import { AlertKind, AlertSeverity, EffectiveRule } from './alert-rules.catalog';
import { resourceConditions } from './resource-rules';

/** What the rules read of a cluster's latest report: the columns derived from it at ingest. */
export interface HealthFacts {
  status: string;
  podCoverage: number | null;
  /** The headline: the worse of request and connection coverage. */
  trafficCoverage: number | null;
  skew: { status: string | null; oldestProxy: string | null; controlPlane: string | null };
  /**
   * Certificates with their expiry. The periodic pass gives only the earliest one (the stored
   * column): when it calls for nothing, no later one does.
   */
  certificates: { role: string; name: string; notAfter: string }[];
  /** The report's resource block (PROXY_MEMORY_HIGH, PROXY_OOMKILLED, CONTROL_PLANE_RESOURCE). */
  resources?: ResourceUsage | null;
  /** Drift findings of the last report; null or absent without a drift check. */
  driftCount?: number | null;
}

export interface ClusterState {
  id: string;
  name: string;
  status: string;
  health: HealthFacts | null;
  /**
   * Meshfleet itself is changing the mesh: a lifecycle operation is active on the cluster, or the
   * stored report was received before the last one finished (it shows the cluster mid-change).
   */
  changing?: boolean;
  /**
   * The cluster should run Linkerd: it carries the label meshfleet.io/expect-linkerd=true, or
   * Meshfleet installed Linkerd there (its last successful install/upgrade/uninstall was not an
   * uninstall). Only then is a missing control plane an alert.
   */
  linkerdExpected?: boolean;
  /**
   * Set when the cluster is in GITOPS mode: the tool and the Application / HelmRelease the last
   * report read (null when none was found). DRIFT_DETECTED then names it and says Meshfleet
   * leaves the correction to the GitOps tool.
   */
  gitops?: AlertGitops | null;
}

/** What DRIFT_DETECTED on a GITOPS cluster carries about its owner (the alert.firing payload's `gitops`). */
export interface AlertGitops {
  tool: string | null;
  source: GitopsSource | null;
}

/** The cluster label that says Linkerd belongs on a cluster Meshfleet did not install it on. */
export const EXPECT_LINKERD_LABEL = 'meshfleet.io/expect-linkerd';

/**
 * Rules a cluster's own install, upgrade or restart trips on the way (pods roll, checks fail for
 * seconds). While Meshfleet changes the cluster they are held: nothing new fires and what fires
 * stays firing; the first report after the change decides. A failed operation alerts on its own.
 */
export const HELD_WHILE_CHANGING: ReadonlySet<AlertKind> = new Set([
  AlertKind.CONTROL_PLANE_UNHEALTHY,
  AlertKind.MESH_DEGRADED,
  AlertKind.DRIFT_DETECTED,
]);

export interface Condition {
  kind: AlertKind;
  subject: string;
  severity: AlertSeverity;
  summary: string;
  /** DRIFT_DETECTED and GITOPS_SOURCE_UNHEALTHY on a GITOPS cluster: its owner, for the webhook payload. */
  gitops?: AlertGitops;
}

const DAY_MS = 86_400_000;

/** Stable identity of an alert: the same rule, cluster and subject is the same alert. */
export function fingerprint(kind: string, clusterId: string | null, subject: string): string {
  return `${kind}|${clusterId ?? '-'}|${subject}`;
}

function severityForDays(days: number, thresholds: number[]): AlertSeverity | null {
  const crossed = thresholds.filter((t) => days <= t);
  if (crossed.length === 0) return null;
  // The tightest threshold crossed decides: with 30/7/1, ≤1 day is critical, ≤7 warning, ≤30 info.
  const rank = thresholds.length - 1 - thresholds.indexOf(Math.min(...crossed));
  return rank === 0 ? AlertSeverity.CRITICAL : rank === 1 ? AlertSeverity.WARNING : AlertSeverity.INFO;
}

export function clusterConditions(rules: EffectiveRule[], s: ClusterState, now: Date): Condition[] {
  if (s.status === 'DEREGISTERED') return [];
  const on = new Map(rules.filter((r) => r.enabled && !r.eventDriven).map((r) => [r.kind, r]));
  const out: Condition[] = [];
  const rule = (k: AlertKind) => (s.changing && HELD_WHILE_CHANGING.has(k) ? undefined : on.get(k));
  const offline = s.status === 'OFFLINE';

  if (offline && rule(AlertKind.AGENT_OFFLINE))
    out.push({
      kind: AlertKind.AGENT_OFFLINE,
      subject: 'agent',
      severity: rule(AlertKind.AGENT_OFFLINE)!.severity,
      summary: `The Meshfleet agent of cluster ${s.name} stopped reporting`,
    });
  const h = s.health;
  // An offline cluster's last report is stale: only AGENT_OFFLINE speaks for it.
  if (!h || offline) return out;

  // Not installed is a state: nothing to alert on, unless Linkerd is expected there. Coverage,
  // skew and certificate rules have nothing to measure either way.
  if (h.status === 'NOT_INSTALLED') {
    const r = rule(AlertKind.CONTROL_PLANE_UNHEALTHY);
    if (s.linkerdExpected && r)
      out.push({
        kind: AlertKind.CONTROL_PLANE_UNHEALTHY,
        subject: 'control-plane',
        severity: r.severity,
        summary: `Linkerd is expected on cluster ${s.name} but no control plane is installed`,
      });
    return out;
  }

  if (h.status === 'UNHEALTHY' && rule(AlertKind.CONTROL_PLANE_UNHEALTHY))
    out.push({
      kind: AlertKind.CONTROL_PLANE_UNHEALTHY,
      subject: 'control-plane',
      severity: rule(AlertKind.CONTROL_PLANE_UNHEALTHY)!.severity,
      summary: `Linkerd on cluster ${s.name} is unhealthy`,
    });
  if (h.status === 'DEGRADED' && rule(AlertKind.MESH_DEGRADED))
    out.push({
      kind: AlertKind.MESH_DEGRADED,
      subject: 'mesh',
      severity: rule(AlertKind.MESH_DEGRADED)!.severity,
      summary: `Linkerd on cluster ${s.name} reports warnings`,
    });

  const expiring = rule(AlertKind.CERTIFICATE_EXPIRING);
  const expired = rule(AlertKind.CERTIFICATE_EXPIRED);
  for (const c of h.certificates) {
    const subject = `certificate:${c.role}/${c.name}`;
    const left = (new Date(c.notAfter).getTime() - now.getTime()) / DAY_MS;
    if (left <= 0) {
      if (expired)
        out.push({
          kind: AlertKind.CERTIFICATE_EXPIRED,
          subject,
          severity: expired.severity,
          summary: `The ${c.role} certificate ${c.name} on cluster ${s.name} expired at ${c.notAfter}`,
        });
    } else if (expiring) {
      const sev = severityForDays(left, expiring.params.days ?? [30, 7, 1]);
      if (sev)
        out.push({
          kind: AlertKind.CERTIFICATE_EXPIRING,
          subject,
          severity: sev,
          summary: `The ${c.role} certificate ${c.name} on cluster ${s.name} expires in ${Math.ceil(left)} day(s)`,
        });
    }
  }

  const drift = rule(AlertKind.DRIFT_DETECTED);
  if (drift && (h.driftCount ?? 0) > 0) {
    const summary = `Linkerd on cluster ${s.name} drifted from the release Meshfleet applied: ${h.driftCount} field(s) differ (see Cluster.drift)`;
    out.push({
      kind: AlertKind.DRIFT_DETECTED,
      subject: 'drift',
      severity: drift.severity,
      ...(s.gitops ? { summary: `${summary}. ${gitopsDriftNote(s.gitops)}`, gitops: s.gitops } : { summary }),
    });
  }

  const sourceRule = rule(AlertKind.GITOPS_SOURCE_UNHEALTHY);
  const source = s.gitops?.source;
  const verdict = source ? gitopsSourceTrouble(source) : null;
  if (sourceRule && s.gitops && source && verdict) {
    const tool = gitopsToolLabel(s.gitops.tool ?? source.tool);
    out.push({
      kind: AlertKind.GITOPS_SOURCE_UNHEALTHY,
      subject: 'gitops-source',
      severity: verdict === 'critical' ? AlertSeverity.CRITICAL : sourceRule.severity,
      summary: `${tool} does not have Linkerd on cluster ${s.name} in the state Git asks for: ${gitopsSourceLine(source)}`,
      gitops: s.gitops,
    });
  }

  const mtls = rule(AlertKind.MTLS_COVERAGE_BELOW);
  const threshold = mtls?.params.threshold ?? 0.9;
  const lowest = lowestCoverage(h);
  if (mtls && lowest && lowest.value < threshold)
    out.push({
      kind: AlertKind.MTLS_COVERAGE_BELOW,
      subject: 'mtls',
      severity: mtls.severity,
      summary: `mTLS ${lowest.of} coverage on cluster ${s.name} is ${Math.round(lowest.value * 100)}% (below ${Math.round(threshold * 100)}%)`,
    });

  const skew = h.skew;
  const skewRule = rule(AlertKind.VERSION_SKEW);
  if (skewRule && skew.status === 'unsupported')
    out.push({
      kind: AlertKind.VERSION_SKEW,
      subject: 'proxy-skew',
      severity: skewRule.severity,
      summary: `Proxies on cluster ${s.name} (oldest ${skew.oldestProxy}) are too far behind the control plane ${skew.controlPlane}`,
    });
  if (h.resources)
    for (const c of resourceConditions(h.resources, s.name, (k) => rule(AlertKind[k]))) {
      const r = rule(AlertKind[c.kind])!;
      out.push({
        kind: AlertKind[c.kind],
        subject: c.subject,
        severity: c.severity ? AlertSeverity.CRITICAL : r.severity,
        summary: c.summary,
      });
    }
  return out;
}

/** The GitOps source in a line: `Application argocd/linkerd: OutOfSync, health Healthy, revision 4f2a9c1`. */
export function gitopsSourceLine(source: GitopsSource): string {
  const what = `${source.kind} ${source.namespace}/${source.name}`;
  if (source.error) return `${what}: ${source.error}`;
  if (source.argocd) {
    const a = source.argocd;
    return `${what}: ${a.syncStatus}, health ${a.healthStatus}${a.revision ? `, revision ${a.revision}` : ''}`;
  }
  const r = source.flux?.ready;
  const rev = source.flux?.lastAttemptedRevision;
  const ready = r ? `Ready=${r.status}${r.reason ? ` (${r.reason})` : ''}` : 'no Ready condition yet';
  return `${what}: ${ready}${rev ? `, last attempted revision ${rev}` : ''}`;
}

/**
 * What the owning Application / HelmRelease says is wrong, read from the cluster: an Argo CD
 * Application OutOfSync, Degraded or Missing (Degraded or Missing is critical), a HelmRelease whose
 * Ready condition is False. Null when it is fine, still progressing, or could not be read (an
 * unreadable source is shown on Cluster.gitopsSource, not alerted: it is the agent's RBAC).
 */
export function gitopsSourceTrouble(source: GitopsSource): 'warning' | 'critical' | null {
  if (source.error) return null;
  const a = source.argocd;
  if (a) {
    if (a.healthStatus === 'Degraded' || a.healthStatus === 'Missing') return 'critical';
    return a.syncStatus === 'OutOfSync' ? 'warning' : null;
  }
  return source.flux?.ready?.status === 'False' ? 'warning' : null;
}

/** Who owns Linkerd on a GITOPS cluster and that Meshfleet will not correct its drift. */
function gitopsDriftNote(g: AlertGitops): string {
  const tool = gitopsToolLabel(g.tool);
  const source = g.source
    ? gitopsSourceLine(g.source)
    : `no ${g.tool === 'FLUX' ? 'HelmRelease' : g.tool === 'ARGOCD' ? 'Application' : 'GitOps source'} found from Linkerd's marks`;
  return `Managed by ${tool} (${source}); Meshfleet will not correct it (GITOPS mode, reconcileDrift is refused): sync or fix it in Git`;
}

/**
 * The coverage MTLS_COVERAGE_BELOW compares with its threshold: the lower of pod coverage and the
 * headline traffic coverage, each when measured (pods first on a tie).
 */
function lowestCoverage(h: HealthFacts): { of: 'pod' | 'traffic'; value: number } | null {
  const pod = h.podCoverage;
  const traffic = h.trafficCoverage;
  if (pod !== null && (traffic === null || pod <= traffic)) return { of: 'pod', value: pod };
  return traffic !== null ? { of: 'traffic', value: traffic } : null;
}

/** The alert an event calls for (fire) or clears (resolve), for event-driven rules. */
export interface EventTransition {
  action: 'fire' | 'resolve';
  kind: AlertKind;
  subject: string;
  summary: string;
}

export function eventTransitions(type: string, payload: Record<string, unknown>): EventTransition[] {
  const str = (k: string) => String(payload[k] ?? '');
  switch (type) {
    case 'operation.failed':
      return [
        {
          action: 'fire',
          kind: AlertKind.OPERATION_FAILED,
          subject: `operation:${str('kind')}`,
          summary: `${str('kind')} on cluster ${str('clusterName')} failed: ${str('reason')}`,
        },
      ];
    case 'operation.succeeded':
      return [
        {
          action: 'resolve',
          kind: AlertKind.OPERATION_FAILED,
          subject: `operation:${str('kind')}`,
          summary: '',
        },
      ];
    case 'rollout.paused':
      return [
        {
          action: 'fire',
          kind: AlertKind.ROLLOUT_PAUSED,
          subject: `rollout:${str('rolloutId')}`,
          summary: `Rollout ${str('name')} paused: ${str('reason')}`,
        },
      ];
    case 'rollout.failed':
      return [
        {
          action: 'resolve',
          kind: AlertKind.ROLLOUT_PAUSED,
          subject: `rollout:${str('rolloutId')}`,
          summary: '',
        },
        {
          action: 'fire',
          kind: AlertKind.ROLLOUT_FAILED,
          subject: `rollout:${str('rolloutId')}`,
          summary: `Rollout ${str('name')} failed: ${str('reason')}`,
        },
      ];
    case 'rollout.resumed':
    case 'rollout.succeeded':
    case 'rollout.aborted':
    case 'rollout.rolled_back':
      return [
        {
          action: 'resolve',
          kind: AlertKind.ROLLOUT_PAUSED,
          subject: `rollout:${str('rolloutId')}`,
          summary: '',
        },
        ...(type === 'rollout.succeeded'
          ? [
              {
                action: 'resolve' as const,
                kind: AlertKind.ROLLOUT_FAILED,
                subject: `rollout:${str('rolloutId')}`,
                summary: '',
              },
            ]
          : []),
      ];
    default:
      return [];
  }
}
