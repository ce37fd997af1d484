import { Injectable, Logger } from '@nestjs/common';
import { Alert, Db, DomainEvent } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import {
  ClusterState,
  clusterConditions,
  Condition,
  eventTransitions,
  fingerprint,
  HELD_WHILE_CHANGING,
} from './alert-conditions';
import {
  AlertKind,
  ALL_KINDS,
  cooldownSeconds,
  EffectiveRule,
  effectiveRules,
  RULE_DEFAULTS,
  severityRank,
} from './alert-rules.catalog';
import { AlertsRepository, FleetFact } from './alerts.repository';

/**
 * Events after which a cluster's state-driven alerts cannot change: an operation queued or ended
 * moves nothing those rules read (while it runs, the rules it trips are held; after it, the reports
 * that follow decide, each evaluated as it comes or by the periodic pass). Its own alerts are the
 * event-driven transitions. A rollout wave would otherwise evaluate every cluster twice for nothing.
 */
const LEAVES_STATE_ALONE = /^operation\./;

const STATE_KINDS = ALL_KINDS.filter((k) => !RULE_DEFAULTS[k].eventDriven);

/**
 * Level-triggered alert evaluation: for a cluster, compare the alerts its current state calls for
 * with the firing ones, then fire and resolve the difference. Runs on outbox events (for the
 * clusters they touch) and periodically for the clusters time can change (expiry, `for`,
 * cool-downs) or whose state meets a rule (see AlertsRepository.clustersToEvaluate).
 */
@Injectable()
export class AlertsEvaluator {
  private readonly log = new Logger(AlertsEvaluator.name);

  constructor(private readonly repo: AlertsRepository) {}

  /** The outbox handler: event-driven rules first, then each touched cluster's state. */
  async onEvents(db: Db, events: DomainEvent[], now = new Date()): Promise<void> {
    const rules = new Map<string, EffectiveRule[]>();
    const rulesOf = async (orgId: string) => {
      let r = rules.get(orgId);
      if (!r) rules.set(orgId, (r = effectiveRules(await this.repo.rules(db, orgId))));
      return r;
    };
    const clusters = new Map<string, string>();
    for (const e of events) {
      if (e.type.startsWith('alert.')) continue;
      const transitions = eventTransitions(e.type, (e.payload ?? {}) as Record<string, unknown>);
      for (const t of transitions) {
        const rule = (await rulesOf(e.organizationId)).find((r) => r.kind === t.kind)!;
        const fp = fingerprint(t.kind, e.clusterId, t.subject);
        await this.repo.lockKey(db, fp);
        if (t.action === 'resolve') {
          const firing = await this.repo.firingByFingerprint(db, e.organizationId, fp);
          if (firing) await this.resolve(db, firing, now);
        } else if (rule.enabled) {
          const cond: Condition = {
            kind: t.kind,
            subject: t.subject,
            severity: rule.severity,
            summary: t.summary,
          };
          const name = (e.payload as { clusterName?: string } | null)?.clusterName ?? null;
          await this.fireUnlessCooling(db, e.organizationId, e.clusterId, name, rule, cond, fp, now);
        }
      }
      if (e.clusterId && !LEAVES_STATE_ALONE.test(e.type)) clusters.set(e.clusterId, e.organizationId);
    }
    for (const [id, org] of clusters) await this.evaluateCluster(db, org, id, now, rulesOf);
  }

  /** Brings one cluster's state-driven alerts in line with its current state. */
  async evaluateCluster(
    db: Db,
    organizationId: string,
    clusterId: string,
    now = new Date(),
    rulesOf?: (orgId: string) => Promise<EffectiveRule[]>,
  ): Promise<void> {
    await this.repo.lockKey(db, clusterId);
    const state = await this.repo.clusterState(db, organizationId, clusterId);
    if (!state) {
      await this.repo.setDue(db, clusterId, null);
      return;
    }
    const rules = rulesOf
      ? await rulesOf(state.organizationId)
      : effectiveRules(await this.repo.rules(db, state.organizationId));
    const byKind = new Map(rules.map((r) => [r.kind as string, r]));
    const desired = new Map(
      clusterConditions(rules, state, now).map((c) => [fingerprint(c.kind, clusterId, c.subject), c]),
    );
    // Pending `for` marks live in Postgres, in this transaction: a lost Redis or a rolled-back
    // evaluation cannot lose or orphan them.
    const pending = await this.repo.pending(db, clusterId);

    for (const a of await this.repo.firingForCluster(db, state.organizationId, clusterId)) {
      if (byKind.get(a.kind)?.eventDriven) continue;
      if (state.changing && HELD_WHILE_CHANGING.has(a.kind as AlertKind)) continue;
      const want = desired.get(a.fingerprint);
      if (!want) await this.resolve(db, a, now);
      else if (want.severity !== a.severity || want.summary !== a.summary || +now - +a.lastSeenAt > 60_000) {
        const updated = await this.repo.update(db, a.organizationId, a.id, {
          severity: want.severity,
          summary: want.summary,
          lastSeenAt: now,
        });
        // Escalation (e.g. 30 → 7 → 1 days left) notifies again; anything else updates quietly.
        const silenced = a.silencedUntil !== null && a.silencedUntil > now;
        if (severityRank(want.severity) > severityRank(a.severity) && !silenced)
          await recordDomainEvent(
            db,
            a.organizationId,
            'alert.firing',
            clusterId,
            this.payload(updated, state.name, a.severity, want.gitops),
          );
      }
      desired.delete(a.fingerprint);
    }
    await this.repo.clearPending(
      db,
      clusterId,
      [...pending.keys()].filter((fp) => !desired.has(fp)),
    );

    // When this cluster needs a look again although nothing happens to it (the periodic pass reads it).
    let nextDue = Infinity;
    for (const [fp, cond] of desired) {
      const rule = byKind.get(cond.kind)!;
      // `for`: the condition must hold this long before the alert fires.
      const since = pending.get(fp)?.getTime() ?? now.getTime();
      if (!pending.has(fp) && rule.forSeconds > 0) await this.repo.markPending(db, clusterId, fp, now);
      if (now.getTime() - since < rule.forSeconds * 1000) {
        nextDue = Math.min(nextDue, since + rule.forSeconds * 1000);
        continue;
      }
      const r = await this.fireUnlessCooling(
        db,
        state.organizationId,
        clusterId,
        state.name,
        rule,
        cond,
        fp,
        now,
      );
      if (r === true) {
        if (pending.has(fp)) await this.repo.clearPending(db, clusterId, [fp]);
      } else nextDue = Math.min(nextDue, r.getTime());
    }
    await this.repo.setDue(db, clusterId, nextDue === Infinity ? null : new Date(nextDue));
  }

  /**
   * Fires unless it fires already or resolved within the rule's cool-down (flapping); returns true
   * when it fires (now or already), else the end of the cool-down.
   */
  private async fireUnlessCooling(
    db: Db,
    organizationId: string,
    clusterId: string | null,
    clusterName: string | null,
    rule: EffectiveRule,
    cond: Condition,
    fp: string,
    now: Date,
  ): Promise<true | Date> {
    if (await this.repo.firingByFingerprint(db, organizationId, fp)) return true;
    const last = await this.repo.lastResolved(db, organizationId, fp);
    const coolUntil = last?.resolvedAt ? +last.resolvedAt + cooldownSeconds(rule) * 1000 : 0;
    if (coolUntil > +now) return new Date(coolUntil);
    const alert = await this.repo.fire(
      db,
      {
        organizationId,
        kind: cond.kind,
        fingerprint: fp,
        clusterId,
        subject: cond.subject,
        severity: cond.severity,
        summary: cond.summary,
      },
      now,
    );
    if (!alert) return true;
    // A silence set on the previous occurrence still holds for a re-fire.
    const silencedUntil = last?.silencedUntil && last.silencedUntil > now ? last.silencedUntil : null;
    if (silencedUntil) await this.repo.update(db, organizationId, alert.id, { silencedUntil });
    else
      await recordDomainEvent(
        db,
        organizationId,
        'alert.firing',
        clusterId,
        this.payload(alert, clusterName, null, cond.gitops),
      );
    this.log.log(`alert ${cond.kind} firing for ${fp}`);
    return true;
  }

  private async resolve(db: Db, a: Alert, now: Date): Promise<void> {
    const resolved = await this.repo.resolve(db, a.organizationId, a.id, now);
    const silenced = a.silencedUntil !== null && a.silencedUntil > now;
    if (!silenced) {
      const state = a.clusterId ? await this.repo.clusterState(db, a.organizationId, a.clusterId) : null;
      await recordDomainEvent(
        db,
        a.organizationId,
        'alert.resolved',
        a.clusterId,
        this.payload(resolved, state?.name ?? null, null),
      );
    }
  }

  private payload(
    a: Alert,
    clusterName: string | null,
    previousSeverity: string | null,
    gitops?: Condition['gitops'],
  ) {
    return {
      ...(gitops ? { gitops } : {}),
      alertId: a.id,
      kind: a.kind,
      severity: a.severity,
      subject: a.subject,
      summary: a.summary,
      clusterName,
      firstFiredAt: a.firstFiredAt.toISOString(),
      resolvedAt: a.resolvedAt?.toISOString() ?? null,
      previousSeverity,
    };
  }

  /**
   * The periodic pass, each cluster in its own short transaction: only the clusters with a firing
   * state-driven alert (it may resolve, escalate or need its lastSeenAt refreshed), those the
   * evaluator asked to see again by now (a pending `for`, a cool-down ending), and those whose
   * stored facts meet a rule (a report can change coverage or skew without any event, time brings
   * certificates closer, rules can be re-tuned). Event-driven evaluation covers the rest as it
   * happens. Returns how many clusters it evaluated.
   */
  async evaluateAll(now = new Date()): Promise<number> {
    const clusters = await this.clustersToEvaluate(now);
    let n = 0;
    for (const { id, organizationId } of clusters) {
      try {
        await this.repo.transaction((db) => this.evaluateCluster(db, organizationId, id, now));
        n++;
      } catch (e) {
        this.log.warn(`evaluating cluster ${id} failed: ${(e as Error).message}`);
      }
    }
    return n;
  }

  /** The clusters the periodic pass evaluates (see evaluateAll), decided by clusterConditions. */
  private async clustersToEvaluate(now: Date): Promise<{ id: string; organizationId: string }[]> {
    const facts = await this.repo.fleetFacts(now, STATE_KINDS);
    const stored = await this.repo.rulesOf([...new Set(facts.map((f) => f.organizationId))]);
    const rules = new Map<string, EffectiveRule[]>();
    const rulesOf = (org: string) => {
      let r = rules.get(org);
      if (!r) rules.set(org, (r = effectiveRules(stored.filter((x) => x.organizationId === org))));
      return r;
    };
    return facts
      .filter(
        (f) => f.firing || f.due || clusterConditions(rulesOf(f.organizationId), asState(f), now).length,
      )
      .map((f) => ({ id: f.id, organizationId: f.organizationId }));
  }
}

/**
 * A cluster's stored facts as the rules read them. Only the earliest certificate expiry is
 * stored: it calls for an alert whenever any certificate does. Summaries are not used here.
 */
function asState(f: FleetFact): ClusterState {
  return {
    id: f.id,
    name: f.name,
    status: f.status,
    linkerdExpected: f.linkerdExpected,
    health:
      f.health === null
        ? null
        : {
            status: f.health,
            podCoverage: f.podCoverage,
            trafficCoverage: f.trafficCoverage,
            skew: { status: f.proxySkew, oldestProxy: null, controlPlane: f.controlPlaneVersion },
            driftCount: f.driftCount,
            certificates: f.earliestCertExpiry
              ? [{ role: 'earliest', name: '', notAfter: f.earliestCertExpiry.toISOString() }]
              : [],
            resources: f.resources,
          },
  };
}
