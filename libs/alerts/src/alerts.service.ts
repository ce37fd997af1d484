import { Injectable } from '@nestjs/common';
import { Page, ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { Alert } from '@meshfleet/db';
import {
  ALL_KINDS,
  AlertKind,
  AlertSeverity,
  EffectiveRule,
  effectiveRules,
  RULE_DEFAULTS,
  validateParams,
} from './alert-rules.catalog';
import { AlertListFilter, AlertsRepository } from './alerts.repository';

export interface RuleView extends EffectiveRule {
  customized: boolean;
}

export interface RuleUpdate {
  enabled?: boolean | null;
  severity?: AlertSeverity | null;
  forSeconds?: number | null;
  params?: Record<string, unknown> | null;
}

const MAX_FOR_SECONDS = 7 * 86_400;

@Injectable()
export class AlertsService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly audit: AuditService,
  ) {}

  async rules(organizationId: string): Promise<RuleView[]> {
    const stored = await this.repo.transaction((db) => this.repo.rules(db, organizationId));
    const kinds = new Set(stored.map((r) => r.kind));
    return effectiveRules(stored).map((r) => ({ ...r, customized: kinds.has(r.kind) }));
  }

  async updateRule(actor: Actor, kind: AlertKind, input: RuleUpdate): Promise<RuleView> {
    if (!ALL_KINDS.includes(kind)) throw new ValidationError(`Unknown alert rule ${kind}`, 'kind');
    const f = input.forSeconds;
    if (f !== null && f !== undefined && (!Number.isInteger(f) || f < 0 || f > MAX_FOR_SECONDS))
      throw new ValidationError(`forSeconds must be between 0 and ${MAX_FOR_SECONDS}`, 'forSeconds');
    const params = input.params ? validateParams(kind, input.params) : {};
    return this.repo.transaction(async (db) => {
      const current = effectiveRules(await this.repo.rules(db, actor.organizationId)).find(
        (r) => r.kind === kind,
      )!;
      const next = {
        enabled: input.enabled ?? current.enabled,
        severity: input.severity ?? current.severity,
        forSeconds: f ?? current.forSeconds,
        params: { ...current.params, ...params },
      };
      await this.repo.upsertRule(db, actor.organizationId, kind, next);
      await this.audit.recordActor(
        db,
        actor,
        'alert-rule.update',
        { type: 'AlertRule', id: kind },
        {
          before: {
            enabled: current.enabled,
            severity: current.severity,
            forSeconds: current.forSeconds,
            params: current.params,
          },
          after: next,
        },
      );
      return { kind, ...next, eventDriven: RULE_DEFAULTS[kind].eventDriven, customized: true };
    });
  }

  get(organizationId: string, id: string): Promise<Alert> {
    return this.repo.find(organizationId, id);
  }

  list(
    organizationId: string,
    filter: AlertListFilter,
    first: number,
    after: string | null,
  ): Promise<Page<Alert>> {
    return this.repo.list(organizationId, filter, first, after);
  }

  /** Notifications for this alert stop until `until`; it keeps firing and resolving meanwhile. */
  async silence(actor: Actor, id: string, until: Date): Promise<Alert> {
    if (Number.isNaN(until.getTime())) throw new ValidationError('until is not a time', 'until');
    return this.repo.transaction(async (db) => {
      await this.repo.get(db, actor.organizationId, id);
      const alert = await this.repo.update(db, actor.organizationId, id, { silencedUntil: until });
      await this.audit.recordActor(
        db,
        actor,
        'alert.silence',
        { type: 'Alert', id },
        { until: until.toISOString() },
      );
      return alert;
    });
  }

  async acknowledge(actor: Actor, id: string): Promise<Alert> {
    return this.repo.transaction(async (db) => {
      const before = await this.repo.get(db, actor.organizationId, id);
      if (before.acknowledgedAt) return before;
      const alert = await this.repo.update(db, actor.organizationId, id, {
        acknowledgedAt: new Date(),
        acknowledgedBy: actor.actorName,
      });
      await this.audit.recordActor(db, actor, 'alert.acknowledge', { type: 'Alert', id });
      return alert;
    });
  }
}
