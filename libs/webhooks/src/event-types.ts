// Which domain events webhooks carry, and how an endpoint's list (with wildcards) selects them.
import { ValidationError } from '@meshfleet/core';

export const WEBHOOK_EVENT_TYPES = [
  'alert.firing',
  'alert.resolved',
  'cluster.offline',
  'cluster.online',
  'operation.queued',
  'operation.succeeded',
  'operation.failed',
  'operation.cancelled',
  'rollout.started',
  'rollout.wave_started',
  'rollout.wave_completed',
  'rollout.paused',
  'rollout.resumed',
  'rollout.succeeded',
  'rollout.failed',
  'rollout.aborted',
  'rollout.rolled_back',
] as const;

/** Sent by testWebhook only; never produced by the fan-out. */
export const TEST_EVENT_TYPE = 'webhook.test';

const PATTERN = /^(\*|[a-z]+\.\*|[a-z]+\.[a-z_]+)$/;

export function isWebhookEventType(type: string): boolean {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/** `operation.*` matches every operation event; `*` matches everything webhooks carry. */
export function matchesEventType(patterns: string[], type: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

export function validateEventTypes(patterns: string[]): string[] {
  if (patterns.length === 0) throw new ValidationError('eventTypes needs at least one type', 'eventTypes');
  const out = [...new Set(patterns.map((p) => p.trim()))];
  for (const p of out) {
    if (!PATTERN.test(p) || !WEBHOOK_EVENT_TYPES.some((t) => matchesEventType([p], t)))
      throw new ValidationError(
        `eventTypes: "${p}" matches no event (known: ${WEBHOOK_EVENT_TYPES.join(', ')})`,
        'eventTypes',
      );
  }
  return out;
}
