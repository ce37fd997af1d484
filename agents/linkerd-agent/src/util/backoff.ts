// Exponential backoff with "full jitter": a fleet of agents that lost the API at the same moment
// must not reconnect in lock-step, so every delay is drawn uniformly from [0, min(cap, base·2^n)].

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** Upper bound of the delay for the n-th consecutive failure (n starts at 1). */
export function backoffCeiling(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(o.capMs, o.baseMs * 2 ** exp);
}

/** Delay before retrying after the n-th consecutive failure. */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  const random = o.random ?? Math.random;
  return Math.floor(random() * backoffCeiling(attempt, o));
}

/** Tracks consecutive failures of one loop; a success resets it. */
export class Backoff {
  private failures = 0;
  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait. A server's Retry-After wins when longer. */
  fail(retryAfterMs?: number): number {
    this.failures += 1;
    const delay = backoffDelay(this.failures, this.options);
    return retryAfterMs !== undefined ? Math.max(delay, retryAfterMs) : delay;
  }

  reset(): void {
    this.failures = 0;
  }
}
