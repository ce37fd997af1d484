import { Inject, Injectable } from '@nestjs/common';
import { FailedPreconditionError, Page, parseLabelSelector, ValidationError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { seal, Sealed } from '@meshfleet/certificates';
import { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '@meshfleet/db';
import { TEST_EVENT_TYPE, validateEventTypes } from './event-types';
import { generateSecret } from './signing';
import { checkedAddresses, HostAllowlist, parseWebhookUrl, urlForDisplay } from './ssrf-guard';
import { buildPayload } from './webhook-payload';
import { DeliveryWithAttempts, EndpointChanges, WebhooksRepository } from './webhooks.repository';
import { WebhooksQueue } from './webhooks.queue';

export const WEBHOOK_FORMATS = ['standard', 'slack'] as const;

export interface EndpointInput {
  url?: string | null;
  description?: string | null;
  eventTypes?: string[] | null;
  clusterSelector?: string | null;
  format?: string | null;
  enabled?: boolean | null;
}

const MAX_OVERLAP_HOURS = 7 * 24;

@Injectable()
export class WebhooksService {
  private readonly allowlist: HostAllowlist;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly queue: WebhooksQueue,
    private readonly audit: AuditService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    this.allowlist = new HostAllowlist(config.webhooks.allowedHosts);
  }

  get(organizationId: string, id: string): Promise<WebhookEndpoint> {
    return this.repo.endpoint(organizationId, id);
  }

  list(organizationId: string): Promise<WebhookEndpoint[]> {
    return this.repo.listEndpoints(organizationId);
  }

  async create(actor: Actor, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const keyring = this.config.encryption;
    if (!keyring)
      throw new FailedPreconditionError(
        'MESHFLEET_ENCRYPTION_KEYS is not configured, so webhook secrets cannot be stored',
      );
    const fields = await this.validate({ ...input, eventTypes: input.eventTypes ?? [] }, true);
    const secret = generateSecret();
    const endpoint = await this.repo.transaction(async (db) => {
      const e = await this.repo.createEndpoint(db, actor.organizationId, {
        url: fields.url!,
        description: fields.description ?? '',
        eventTypes: fields.eventTypes!,
        clusterSelector: fields.clusterSelector ?? null,
        format: fields.format ?? 'standard',
        secretEnc: seal(keyring, secret),
      });
      await this.audit.recordActor(
        db,
        actor,
        'webhook.create',
        { type: 'WebhookEndpoint', id: e.id },
        {
          url: urlForDisplay(e.url),
          eventTypes: e.eventTypes,
          clusterSelector: e.clusterSelector,
          format: e.format,
        },
      );
      return e;
    });
    return { endpoint, secret };
  }

  async update(actor: Actor, id: string, input: EndpointInput): Promise<WebhookEndpoint> {
    const fields = await this.validate(input, false);
    return this.repo.transaction(async (db) => {
      const before = await this.repo.getEndpoint(db, actor.organizationId, id);
      const data: EndpointChanges = {};
      if (fields.url) data.url = fields.url;
      if (fields.description !== undefined) data.description = fields.description ?? '';
      if (fields.eventTypes) data.eventTypes = fields.eventTypes;
      if (fields.clusterSelector !== undefined) data.clusterSelector = fields.clusterSelector;
      if (fields.format) data.format = fields.format;
      if (input.enabled !== undefined && input.enabled !== null) {
        data.enabled = input.enabled;
        // Re-enabling clears why it was disabled (e.g. after a 410).
        if (input.enabled) data.disabledReason = null;
        else if (before.enabled) data.disabledReason = `Disabled by ${actor.actorName}`;
      }
      const after = await this.repo.updateEndpoint(db, actor.organizationId, id, data);
      await this.audit.recordActor(
        db,
        actor,
        'webhook.update',
        { type: 'WebhookEndpoint', id },
        {
          before: {
            url: urlForDisplay(before.url),
            eventTypes: before.eventTypes,
            clusterSelector: before.clusterSelector,
            format: before.format,
            enabled: before.enabled,
          },
          after: {
            url: urlForDisplay(after.url),
            eventTypes: after.eventTypes,
            clusterSelector: after.clusterSelector,
            format: after.format,
            enabled: after.enabled,
          },
        },
      );
      return after;
    });
  }

  /** A new secret; the old one keeps signing too (two signatures) until the overlap ends. */
  async rotateSecret(
    actor: Actor,
    id: string,
    overlapHours: number,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const keyring = this.config.encryption;
    if (!keyring)
      throw new FailedPreconditionError(
        'MESHFLEET_ENCRYPTION_KEYS is not configured, so webhook secrets cannot be stored',
      );
    if (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS)
      throw new ValidationError(`overlapHours must be between 0 and ${MAX_OVERLAP_HOURS}`, 'overlapHours');
    const secret = generateSecret();
    const endpoint = await this.repo.transaction(async (db) => {
      const before = await this.repo.getEndpoint(db, actor.organizationId, id);
      const expires = new Date(Date.now() + overlapHours * 3_600_000);
      const e = await this.repo.updateEndpoint(db, actor.organizationId, id, {
        secretEnc: seal(keyring, secret),
        previousSecretEnc: overlapHours > 0 ? (before.secretEnc as unknown as Sealed) : null,
        previousSecretExpiresAt: overlapHours > 0 ? expires : null,
      });
      await this.audit.recordActor(
        db,
        actor,
        'webhook.rotate-secret',
        { type: 'WebhookEndpoint', id },
        { overlapHours },
      );
      return e;
    });
    return { endpoint, secret };
  }

  async delete(actor: Actor, id: string): Promise<WebhookEndpoint> {
    return this.repo.transaction(async (db) => {
      const e = await this.repo.getEndpoint(db, actor.organizationId, id);
      await this.repo.deleteEndpoint(db, actor.organizationId, id);
      await this.audit.recordActor(
        db,
        actor,
        'webhook.delete',
        { type: 'WebhookEndpoint', id },
        { url: urlForDisplay(e.url) },
      );
      return e;
    });
  }

  async deliveries(
    organizationId: string,
    endpointId: string,
    first: number,
    after: string | null,
  ): Promise<Page<DeliveryWithAttempts>> {
    await this.repo.endpoint(organizationId, endpointId);
    return this.repo.listDeliveries(organizationId, endpointId, first, after);
  }

  /** Sends a delivery again (same webhook-id), whatever its state; attempts keep counting. */
  async redeliver(actor: Actor, deliveryId: string): Promise<WebhookDelivery> {
    const d = await this.repo.transaction(async (db) => {
      const d = await this.repo.getDelivery(db, actor.organizationId, deliveryId);
      const ep = await this.repo.getEndpoint(db, actor.organizationId, d.endpointId);
      if (!ep.enabled)
        throw new FailedPreconditionError('The endpoint is disabled; enable it before redelivering', {
          reason: ep.disabledReason,
        });
      const updated = await this.repo.updateDelivery(db, actor.organizationId, d.id, {
        status: DeliveryStatus.PENDING,
        nextAttemptAt: new Date(),
      });
      await this.audit.recordActor(db, actor, 'webhook.redeliver', { type: 'WebhookDelivery', id: d.id });
      return updated;
    });
    await this.queue.deliver(d.id, d.attempts + 1);
    return d;
  }

  /** Queues a `webhook.test` message to the endpoint; watch webhookDeliveries for the outcome. */
  async test(actor: Actor, endpointId: string): Promise<WebhookDelivery> {
    const d = await this.repo.transaction(async (db) => {
      const ep = await this.repo.getEndpoint(db, actor.organizationId, endpointId);
      const [org] = await this.repo.organizations(db, [actor.organizationId]);
      const payload = buildPayload({
        type: TEST_EVENT_TYPE,
        createdAt: new Date(),
        organization: org ?? { id: actor.organizationId, name: '' },
        cluster: null,
        payload: { message: 'Test message from Meshfleet', requestedBy: actor.actorName },
        publicUrl: this.config.publicUrl,
      });
      const [id] = await this.repo.insertDeliveries(
        db,
        [
          {
            organizationId: actor.organizationId,
            endpointId: ep.id,
            eventId: null,
            eventType: TEST_EVENT_TYPE,
            payload,
          },
        ],
        new Date(),
      );
      return this.repo.getDelivery(db, actor.organizationId, id!);
    });
    await this.queue.deliver(d.id, 1);
    return d;
  }

  private async validate(input: EndpointInput, creating: boolean): Promise<EndpointInput> {
    const out: EndpointInput = {};
    if (input.url !== undefined && input.url !== null) {
      const url = parseWebhookUrl(input.url.trim());
      try {
        await checkedAddresses(url.hostname, this.allowlist);
      } catch (e) {
        // A name that does not resolve yet is allowed; a private address is not.
        if (!(e instanceof ValidationError) || /does not resolve/.test(e.message)) {
          /* checked again at every attempt */
        } else throw e;
      }
      out.url = url.toString();
    } else if (creating) throw new ValidationError('url is required', 'url');
    if (input.description !== undefined && input.description !== null) {
      if (input.description.length > 500)
        throw new ValidationError('description is over 500 characters', 'description');
      out.description = input.description;
    }
    if (input.eventTypes !== undefined && input.eventTypes !== null)
      out.eventTypes = validateEventTypes(input.eventTypes);
    if (input.clusterSelector !== undefined) {
      const sel = input.clusterSelector?.trim() || null;
      if (sel) parseLabelSelector(sel);
      out.clusterSelector = sel;
    }
    if (input.format !== undefined && input.format !== null) {
      if (!(WEBHOOK_FORMATS as readonly string[]).includes(input.format))
        throw new ValidationError(`format must be one of ${WEBHOOK_FORMATS.join(', ')}`, 'format');
      out.format = input.format;
    }
    return out;
  }
}
