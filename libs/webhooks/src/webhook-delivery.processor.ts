import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { open, Sealed } from '@meshfleet/certificates';
import { DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '@meshfleet/db';
import { MetricsService, statusClass } from '@meshfleet/observability';
import type { Counter } from 'prom-client';
import { nextAttemptDelay, parseRetryAfter } from './retry-schedule';
import { signedHeaders } from './signing';
import { HostAllowlist } from './ssrf-guard';
import { slackBody, WebhookPayload } from './webhook-payload';
import { AttemptResult, sendWebhook } from './webhook-sender';
import { WebhooksQueue } from './webhooks.queue';
import { DeliveryWithEndpoint, WebhooksRepository } from './webhooks.repository';

/** The secrets to sign with now: the current one, plus the previous one during a rotation overlap. */
export function signingSecrets(config: AppConfig, e: WebhookEndpoint, now: Date): string[] {
  if (!config.encryption) throw new Error('MESHFLEET_ENCRYPTION_KEYS is not configured');
  const secrets = [open(config.encryption, e.secretEnc as unknown as Sealed)];
  if (e.previousSecretEnc && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now)
    secrets.push(open(config.encryption, e.previousSecretEnc as unknown as Sealed));
  return secrets;
}

export function requestBody(e: Pick<WebhookEndpoint, 'format'>, d: Pick<WebhookDelivery, 'payload'>): string {
  const payload = d.payload as unknown as WebhookPayload;
  return JSON.stringify(e.format === 'slack' ? slackBody(payload) : payload);
}

/**
 * One delivery attempt. The HTTP call happens outside any transaction; the outcome is then
 * recorded only if no other attempt got there first (attempt counter as the guard).
 */
@Injectable()
export class WebhookDeliveryProcessor {
  private readonly log = new Logger(WebhookDeliveryProcessor.name);
  private readonly allowlist: HostAllowlist;
  private readonly attempts: Counter<'outcome' | 'status_class'>;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly queue: WebhooksQueue,
    @Inject(AppConfig) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.allowlist = new HostAllowlist(config.webhooks.allowedHosts);
    this.attempts = metrics.counter({
      name: 'meshfleet_webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome (succeeded, retrying, failed, disabled) and HTTP status class',
      labelNames: ['outcome', 'status_class'],
    });
  }

  async attempt(deliveryId: string): Promise<void> {
    const d = await this.repo.deliveryForJob(deliveryId);
    if (!d || d.status !== DeliveryStatus.PENDING) return;
    const ep = d.endpoint;
    const now = new Date();
    if (!ep.enabled) {
      await this.repo.failDelivery(
        d.organizationId,
        d.id,
        `endpoint disabled${ep.disabledReason ? `: ${ep.disabledReason}` : ''}`,
      );
      return;
    }
    if (d.nextAttemptAt && d.nextAttemptAt.getTime() - now.getTime() > 1000) {
      // An early job (e.g. the reconciler raced a delayed one): wait for the planned time.
      await this.queue.deliver(d.id, d.attempts + 1, d.nextAttemptAt.getTime() - now.getTime());
      return;
    }

    let result: AttemptResult;
    try {
      const body = requestBody(ep, d);
      const headers = signedHeaders(signingSecrets(this.config, ep, now), d.id, now, body);
      result = await sendWebhook(ep.url, headers, body, {
        timeoutMs: this.config.webhooks.timeoutMs,
        allowlist: this.allowlist,
      });
    } catch (e) {
      result = {
        statusCode: null,
        latencyMs: 0,
        responseBody: null,
        error: (e as Error).message,
        retryAfter: null,
      };
    }
    await this.record(d, result);
  }

  private async record(d: DeliveryWithEndpoint, r: AttemptResult): Promise<void> {
    const now = new Date();
    const attemptNo = d.attempts + 1;
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const gone = r.statusCode === 410;
    const error = ok ? null : (r.error ?? `HTTP ${r.statusCode}`);
    const delay =
      ok || gone
        ? null
        : nextAttemptDelay(
            this.config.webhooks.retryScheduleMs,
            attemptNo,
            parseRetryAfter(r.retryAfter, now),
          );
    const retryAt = delay === null ? null : new Date(now.getTime() + delay);

    const recorded = await this.repo.transaction(async (db) => {
      await this.repo.lockDelivery(db, d.organizationId, d.id);
      const current = await this.repo.findDelivery(db, d.organizationId, d.id);
      if (!current || current.attempts !== d.attempts || current.status !== DeliveryStatus.PENDING)
        return false;
      await this.repo.recordAttempt(db, d.id, {
        attemptNo,
        at: now,
        statusCode: r.statusCode,
        latencyMs: r.latencyMs,
        responseBody: r.responseBody,
        error,
      });
      await this.repo.updateDelivery(db, d.organizationId, d.id, {
        attempts: attemptNo,
        lastStatusCode: r.statusCode,
        lastError: error,
        status: ok ? DeliveryStatus.SUCCEEDED : retryAt ? DeliveryStatus.PENDING : DeliveryStatus.FAILED,
        nextAttemptAt: retryAt,
        deliveredAt: ok ? now : null,
      });
      if (gone)
        await this.repo.updateEndpoint(db, d.organizationId, d.endpointId, {
          enabled: false,
          disabledReason: `The receiver answered 410 Gone at ${now.toISOString()}`,
        });
      return true;
    });
    if (recorded) {
      const outcome = ok ? 'succeeded' : gone ? 'disabled' : retryAt ? 'retrying' : 'failed';
      this.attempts.inc({ outcome, status_class: statusClass(r.statusCode) });
    }
    if (gone) this.log.warn(`webhook endpoint ${d.endpointId} disabled: receiver answered 410`);
    if (recorded && retryAt && delay !== null) await this.queue.deliver(d.id, attemptNo + 1, delay);
  }

  /** Re-enqueues pending deliveries whose job went missing (Redis flushed, worker killed). */
  async reconcile(): Promise<void> {
    for (const d of await this.repo.overdue(new Date(Date.now() - 10_000), 500))
      await this.queue.deliver(d.id, d.attempts + 1);
  }
}
