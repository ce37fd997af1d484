// Errors from the agent gateway, classified once so every loop reacts the same way:
// auth problems re-enroll, 429 waits for Retry-After, everything else backs off and retries.

export type GatewayErrorKind =
  /** No HTTP answer: DNS, connection refused, reset, timeout. */
  | 'network'
  /** The API answered with a non-2xx status. */
  | 'http'
  /** Our own payload failed the contract before sending, or the API's answer did. */
  | 'protocol';

export class GatewayError extends Error {
  constructor(
    message: string,
    readonly kind: GatewayErrorKind,
    readonly status?: number,
    /** The `error` code of the API's JSON error body. */
    readonly code?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  /** 401: unknown/expired credential. 403: revoked credential or deregistered cluster. */
  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403;
  }

  get isRateLimited(): boolean {
    return this.status === 429;
  }
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
