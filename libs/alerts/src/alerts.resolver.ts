import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { pageSize } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Alert, Role } from '@meshfleet/db';
import { registerNodeLoader, toConnection } from '@meshfleet/graphql';
import { AlertKind } from './alert-rules.catalog';
import { AlertsService, RuleView } from './alerts.service';
import {
  AlertConnection,
  AlertFilter,
  AlertRuleType,
  AlertType,
  UpdateAlertRuleInput,
} from './dto/alert.types';

const toAlertType = (a: Alert): AlertType => a as unknown as AlertType;
const toRuleType = (r: RuleView): AlertRuleType => ({
  kind: r.kind,
  enabled: r.enabled,
  severity: r.severity,
  forSeconds: r.forSeconds,
  params: r.params as Record<string, unknown>,
  customized: r.customized,
});

@Resolver(() => AlertType)
export class AlertsResolver {
  constructor(private readonly service: AlertsService) {
    registerNodeLoader('Alert', async (c, id) => toAlertType(await this.service.get(c.organizationId, id)));
  }

  @Query(() => [AlertRuleType], {
    description: "Your organization's alert rules (defaults where not changed)",
  })
  @Allow(Role.VIEWER)
  async alertRules(@CurrentPrincipal() p: Principal): Promise<AlertRuleType[]> {
    return (await this.service.rules(p.organizationId)).map(toRuleType);
  }

  @Mutation(() => AlertRuleType)
  @Allow(Role.ADMIN)
  async updateAlertRule(
    @CurrentActor() actor: Actor,
    @Args('kind', { type: () => AlertKind }) kind: AlertKind,
    @Args('input') input: UpdateAlertRuleInput,
  ): Promise<AlertRuleType> {
    return toRuleType(await this.service.updateRule(actor, kind, input));
  }

  @Query(() => AlertConnection, { description: 'Alerts, newest first' })
  @Allow(Role.VIEWER)
  async alerts(
    @CurrentPrincipal() p: Principal,
    @Args('filter', { type: () => AlertFilter, nullable: true }) filter: AlertFilter | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<AlertConnection> {
    return toConnection(
      await this.service.list(p.organizationId, filter ?? {}, pageSize(first), after),
      toAlertType,
    );
  }

  @Mutation(() => AlertType, { description: 'Suppresses notifications for the alert until the given time' })
  @Allow(Role.EDITOR)
  async silenceAlert(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('until', { type: () => Date }) until: Date,
  ): Promise<AlertType> {
    return toAlertType(await this.service.silence(actor, id, until));
  }

  @Mutation(() => AlertType)
  @Allow(Role.EDITOR)
  async acknowledgeAlert(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<AlertType> {
    return toAlertType(await this.service.acknowledge(actor, id));
  }
}
