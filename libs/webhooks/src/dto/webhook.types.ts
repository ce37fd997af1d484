import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { DeliveryStatus } from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';

registerEnumType(DeliveryStatus, {
  name: 'DeliveryStatus',
  description:
    'PENDING while attempts remain; FAILED once the retry schedule is exhausted or the endpoint is gone',
});

@ObjectType('WebhookEndpoint', { implements: () => [NodeInterface] })
export class WebhookEndpointType {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field()
  description!: string;

  @Field(() => [String], { description: 'Event types, wildcards like operation.* allowed' })
  eventTypes!: string[];

  @Field(() => String, {
    nullable: true,
    description: 'Only events of clusters matching this label selector',
  })
  clusterSelector!: string | null;

  @Field({ description: 'standard (Standard Webhooks JSON) or slack ({text})' })
  format!: string;

  @Field()
  enabled!: boolean;

  @Field(() => String, { nullable: true })
  disabledReason!: string | null;

  @Field(() => Date, { nullable: true, description: 'Until then the previous secret signs too' })
  previousSecretExpiresAt!: Date | null;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class WebhookSecretPayload {
  @Field(() => WebhookEndpointType)
  endpoint!: WebhookEndpointType;

  @Field({ description: 'whsec_ signing secret. Shown only in this response.' })
  secret!: string;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field()
  url!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => String, { nullable: true })
  clusterSelector?: string | null;

  @Field(() => String, { nullable: true, description: 'standard (default) or slack' })
  format?: string | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => [String], { nullable: true })
  eventTypes?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Empty string clears it' })
  clusterSelector?: string | null;

  @Field(() => String, { nullable: true })
  format?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@ObjectType('WebhookAttempt')
export class WebhookAttemptType {
  @Field(() => Int)
  attemptNo!: number;

  @Field()
  at!: Date;

  @Field(() => Int, { nullable: true })
  statusCode!: number | null;

  @Field(() => Int)
  latencyMs!: number;

  @Field(() => String, { nullable: true, description: 'First 2 KiB of the response' })
  responseBody!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryType {
  @Field(() => ID, { description: 'Also the webhook-id header, stable across retries' })
  id!: string;

  @Field(() => ID)
  endpointId!: string;

  @Field(() => ID, { nullable: true })
  eventId!: string | null;

  @Field()
  eventType!: string;

  @Field(() => GraphQLJSONObject)
  payload!: Record<string, unknown>;

  @Field(() => DeliveryStatus)
  status!: DeliveryStatus;

  @Field(() => Int)
  attemptCount!: number;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => [WebhookAttemptType])
  attempts!: WebhookAttemptType[];
}

@ObjectType()
export class WebhookDeliveryConnection extends Connection(WebhookDeliveryType, 'WebhookDelivery') {}
