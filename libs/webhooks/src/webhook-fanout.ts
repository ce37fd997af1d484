import { Inject, Injectable } from '@nestjs/common';
import { matchesLabels, parseLabelSelector } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Db, DomainEvent, WebhookEndpoint } from '@meshfleet/db';
import { isWebhookEventType, matchesEventType } from './event-types';
import { buildPayload } from './webhook-payload';
import { NewDelivery, WebhooksRepository } from './webhooks.repository';
import { WebhooksQueue } from './webhooks.queue';

/** Endpoints with a cluster selector receive cluster-scoped events of matching clusters only. */
export function endpointWants(
  e: Pick<WebhookEndpoint, 'eventTypes' | 'clusterSelector'>,
  type: string,
  clusterLabels: Record<string, string> | null,
): boolean {
  if (!matchesEventType(e.eventTypes, type)) return false;
  if (!e.clusterSelector || clusterLabels === null) return true;
  return matchesLabels(parseLabelSelector(e.clusterSelector), clusterLabels);
}

/** Outbox handler: one WebhookDelivery per (event, matching endpoint of the same organization). */
@Injectable()
export class WebhookFanout {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly queue: WebhooksQueue,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async onEvents(db: Db, all: DomainEvent[]): Promise<(() => Promise<void>) | void> {
    const events = all.filter((e) => isWebhookEventType(e.type));
    if (events.length === 0) return;
    const orgIds = [...new Set(events.map((e) => e.organizationId))];
    const endpoints = await this.repo.enabledEndpoints(db, orgIds);
    if (endpoints.length === 0) return;
    const clusterIds = [...new Set(events.map((e) => e.clusterId).filter((c): c is string => c !== null))];
    const [clusters, orgs] = await Promise.all([
      this.repo.clusters(db, orgIds, clusterIds),
      this.repo.organizations(db, orgIds),
    ]);
    const clusterById = new Map(clusters.map((c) => [c.id, c]));
    const orgById = new Map(orgs.map((o) => [o.id, o]));
    const now = new Date();
    const rows: NewDelivery[] = [];
    for (const e of events) {
      const found = e.clusterId ? clusterById.get(e.clusterId) : undefined;
      const cluster = found?.organizationId === e.organizationId ? found : undefined;
      const labels = cluster ? ((cluster.labels ?? {}) as Record<string, string>) : null;
      const targets = endpoints.filter(
        (ep) => ep.organizationId === e.organizationId && endpointWants(ep, e.type, labels),
      );
      if (targets.length === 0) continue;
      const payload = buildPayload({
        type: e.type,
        createdAt: e.createdAt,
        organization: orgById.get(e.organizationId) ?? { id: e.organizationId, name: '' },
        cluster: cluster ? { id: cluster.id, name: cluster.name } : null,
        payload: (e.payload ?? {}) as Record<string, unknown>,
        publicUrl: this.config.publicUrl,
      });
      for (const ep of targets)
        rows.push({
          organizationId: e.organizationId,
          endpointId: ep.id,
          eventId: e.id,
          eventType: e.type,
          payload,
        });
    }
    const ids = await this.repo.insertDeliveries(db, rows, now);
    if (ids.length === 0) return;
    return async () => {
      await Promise.all(ids.map((id) => this.queue.deliver(id, 1)));
    };
  }
}
