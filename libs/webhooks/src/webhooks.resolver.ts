import { Args, Float, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { pageSize } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal, roleAtLeast } from '@meshfleet/auth';
import { Role, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '@meshfleet/db';
import { registerNodeLoader, toConnection } from '@meshfleet/graphql';
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveryConnection,
  WebhookDeliveryType,
  WebhookEndpointType,
  WebhookSecretPayload,
} from './dto/webhook.types';
import { urlForDisplay } from './ssrf-guard';
import { WebhooksService } from './webhooks.service';

/** Never the secret: only these fields leave the API; the full URL only to ADMINs. */
const toEndpoint = (e: WebhookEndpoint, p?: Principal): WebhookEndpointType => ({
  id: e.id,
  url: p && !roleAtLeast(p.role, Role.ADMIN) ? urlForDisplay(e.url) : e.url,
  description: e.description,
  eventTypes: e.eventTypes,
  clusterSelector: e.clusterSelector,
  format: e.format,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  previousSecretExpiresAt: e.previousSecretExpiresAt,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

const toDelivery = (d: WebhookDelivery & { attemptsLog?: WebhookAttempt[] }): WebhookDeliveryType => ({
  id: d.id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  payload: d.payload as Record<string, unknown>,
  status: d.status,
  attemptCount: d.attempts,
  nextAttemptAt: d.nextAttemptAt,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  createdAt: d.createdAt,
  deliveredAt: d.deliveredAt,
  attempts: d.attemptsLog ?? [],
});

@Resolver(() => WebhookEndpointType)
export class WebhooksResolver {
  constructor(private readonly service: WebhooksService) {
    registerNodeLoader('WebhookEndpoint', async (c, id) =>
      toEndpoint(await this.service.get(c.organizationId, id), c as Principal),
    );
  }

  @Query(() => [WebhookEndpointType])
  @Allow(Role.VIEWER)
  async webhookEndpoints(@CurrentPrincipal() p: Principal): Promise<WebhookEndpointType[]> {
    return (await this.service.list(p.organizationId)).map((e) => toEndpoint(e, p));
  }

  @Mutation(() => WebhookSecretPayload, { description: 'Creates an endpoint; the secret is shown only here' })
  @Allow(Role.ADMIN)
  async createWebhookEndpoint(
    @CurrentActor() actor: Actor,
    @Args('input') input: CreateWebhookEndpointInput,
  ): Promise<WebhookSecretPayload> {
    const r = await this.service.create(actor, input);
    return { endpoint: toEndpoint(r.endpoint), secret: r.secret };
  }

  @Mutation(() => WebhookEndpointType)
  @Allow(Role.ADMIN)
  async updateWebhookEndpoint(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('input') input: UpdateWebhookEndpointInput,
  ): Promise<WebhookEndpointType> {
    return toEndpoint(await this.service.update(actor, id, input));
  }

  @Mutation(() => WebhookSecretPayload, {
    description: 'A new secret (shown only here); the old one also signs until overlapHours pass',
  })
  @Allow(Role.ADMIN)
  async rotateWebhookSecret(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('overlapHours', { type: () => Float, nullable: true, defaultValue: 24 }) overlapHours: number,
  ): Promise<WebhookSecretPayload> {
    const r = await this.service.rotateSecret(actor, id, overlapHours);
    return { endpoint: toEndpoint(r.endpoint), secret: r.secret };
  }

  @Mutation(() => WebhookEndpointType)
  @Allow(Role.ADMIN)
  async deleteWebhookEndpoint(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<WebhookEndpointType> {
    return toEndpoint(await this.service.delete(actor, id));
  }

  @Query(() => WebhookDeliveryConnection, {
    description: "An endpoint's deliveries, newest first, with attempts",
  })
  @Allow(Role.VIEWER)
  async webhookDeliveries(
    @CurrentPrincipal() p: Principal,
    @Args('endpointId', { type: () => ID }) endpointId: string,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<WebhookDeliveryConnection> {
    const page = await this.service.deliveries(p.organizationId, endpointId, pageSize(first), after);
    return toConnection(page, toDelivery);
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Sends the delivery again with the same webhook-id' })
  @Allow(Role.ADMIN)
  async redeliver(
    @CurrentActor() actor: Actor,
    @Args('deliveryId', { type: () => ID }) deliveryId: string,
  ): Promise<WebhookDeliveryType> {
    return toDelivery(await this.service.redeliver(actor, deliveryId));
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Queues a webhook.test message to the endpoint' })
  @Allow(Role.ADMIN)
  async testWebhook(
    @CurrentActor() actor: Actor,
    @Args('endpointId', { type: () => ID }) endpointId: string,
  ): Promise<WebhookDeliveryType> {
    return toDelivery(await this.service.test(actor, endpointId));
  }
}
