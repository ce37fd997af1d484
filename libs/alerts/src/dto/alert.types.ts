import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { AlertStatus } from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';
import { AlertKind, AlertSeverity } from '../alert-rules.catalog';

registerEnumType(AlertKind, { name: 'AlertKind' });
registerEnumType(AlertSeverity, { name: 'AlertSeverity' });
registerEnumType(AlertStatus, { name: 'AlertStatus', description: 'FIRING until the condition clears' });

@ObjectType('AlertRule')
export class AlertRuleType {
  @Field(() => AlertKind)
  kind!: AlertKind;

  @Field()
  enabled!: boolean;

  @Field(() => AlertSeverity)
  severity!: AlertSeverity;

  @Field(() => Int, { description: 'How long the condition must hold before the alert fires' })
  forSeconds!: number;

  @Field(() => GraphQLJSONObject, {
    description:
      'Thresholds: days (CERTIFICATE_EXPIRING), threshold (MTLS_COVERAGE_BELOW), cooldownSeconds (all)',
  })
  params!: Record<string, unknown>;

  @Field({ description: 'False while the built-in default applies' })
  customized!: boolean;
}

@InputType()
export class UpdateAlertRuleInput {
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => AlertSeverity, { nullable: true })
  severity?: AlertSeverity | null;

  @Field(() => Int, { nullable: true })
  forSeconds?: number | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Merged over the current params' })
  params?: Record<string, unknown> | null;
}

@ObjectType('Alert', { implements: () => [NodeInterface] })
export class AlertType {
  @Field(() => ID)
  id!: string;

  @Field(() => AlertKind)
  kind!: AlertKind;

  @Field({ description: 'Rule + cluster + subject; the same condition is the same alert' })
  fingerprint!: string;

  @Field(() => ID, { nullable: true })
  clusterId!: string | null;

  @Field()
  subject!: string;

  @Field(() => AlertSeverity)
  severity!: AlertSeverity;

  @Field()
  summary!: string;

  @Field(() => AlertStatus)
  status!: AlertStatus;

  @Field()
  firstFiredAt!: Date;

  @Field()
  lastSeenAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'No notifications until then' })
  silencedUntil!: Date | null;

  @Field(() => Date, { nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => String, { nullable: true })
  acknowledgedBy!: string | null;
}

@ObjectType()
export class AlertConnection extends Connection(AlertType, 'Alert') {}

@InputType()
export class AlertFilter {
  @Field(() => AlertStatus, { nullable: true })
  status?: AlertStatus | null;

  @Field(() => ID, { nullable: true })
  clusterId?: string | null;

  @Field(() => AlertKind, { nullable: true })
  kind?: AlertKind | null;
}
