// What every network loop shares: the gateway, the credential, state, metrics and a way to
// treat failures uniformly (auth → re-enroll, 429 → Retry-After, anything → backoff).
import type { Logger } from 'pino';
import type { AgentState } from '../agent-state';
import type { CredentialManager } from '../credentials/credential-manager';
import { GatewayError } from '../gateway-client/gateway-error';
import type { GatewayClient } from '../gateway-client/gateway-client';
import type { AgentMetrics } from '../observability/agent-metrics';

export interface LoopContext {
  gateway: GatewayClient;
  credentials: CredentialManager;
  state: AgentState;
  metrics: AgentMetrics;
  log: Logger;
  signal: AbortSignal;
}

/** Runs `fn` with the credential; an auth refusal drops it so the next call re-enrolls. */
export async function withCredential<T>(
  ctx: LoopContext,
  fn: (credential: string) => Promise<T>,
): Promise<T> {
  const credential = await ctx.credentials.get(ctx.signal);
  try {
    const result = await fn(credential);
    ctx.state.lastContactAt = new Date();
    ctx.metrics.contact();
    return result;
  } catch (e) {
    if (e instanceof GatewayError && e.isAuthFailure) ctx.credentials.reject(credential, e);
    throw e;
  }
}

export function retryAfterOf(e: unknown): number | undefined {
  return e instanceof GatewayError ? e.retryAfterMs : undefined;
}

export function describeError(e: unknown): Record<string, unknown> {
  if (e instanceof GatewayError) return { err: e.message, status: e.status, code: e.code, kind: e.kind };
  return { err: e instanceof Error ? e.message : String(e) };
}
