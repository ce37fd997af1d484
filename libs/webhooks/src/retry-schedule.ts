// When the next attempt of a failed delivery runs.

/** Svix's schedule: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 h of retrying). */
export const DEFAULT_RETRY_SCHEDULE_MS = [
  0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** A receiver's Retry-After never pushes an attempt further out than this. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/**
 * Delay before attempt number `attemptsMade + 1`, or null when the schedule is exhausted.
 * Retry-After wins when it asks for a longer wait (capped at a day).
 */
export function nextAttemptDelay(
  schedule: number[],
  attemptsMade: number,
  retryAfterMs: number | null = null,
): number | null {
  if (attemptsMade >= schedule.length) return null;
  const planned = schedule[attemptsMade]!;
  return retryAfterMs === null ? planned : Math.max(planned, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}
