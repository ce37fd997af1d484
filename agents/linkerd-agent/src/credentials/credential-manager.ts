// Owns the agent's API credential. Every loop asks for it; the first caller triggers the lookup
// or enrollment and the others wait on the same attempt. A credential the API rejects (401
// unknown/expired, 403 revoked/deregistered) is dropped, and the agent enrolls again as soon as
// a bootstrap token is available — a redeploy with a fresh token must just work.
import type { ClusterFacts, EnrollResponse } from '@meshfleet/agent-protocol';
import type { Logger } from 'pino';
import { GatewayError } from '../gateway-client/gateway-error';
import type { GatewayClient } from '../gateway-client/gateway-client';
import { Backoff } from '../util/backoff';
import { sleep } from '../util/sleep';
import type { CredentialStore } from './credential-store';

export interface CredentialManagerDeps {
  store: CredentialStore;
  gateway: GatewayClient;
  /** From the environment (development); otherwise the Secret's `bootstrapToken` is used. */
  bootstrapToken: string | null;
  agentVersion: string;
  clusterFacts: () => Promise<ClusterFacts>;
  onEnrolled?: (r: EnrollResponse) => void;
  /** The agent holds a credential (true) or lost it to a 401/403 (false). */
  onCredentialChange?: (has: boolean, clusterId: string | null) => void;
  log: Logger;
}

export class NoCredentialError extends Error {
  constructor() {
    super('the agent is stopping');
    this.name = 'NoCredentialError';
  }
}

export class CredentialManager {
  private current: string | null = null;
  private readonly rejected = new Set<string>();
  private pending: Promise<string> | null = null;
  private readonly backoff = new Backoff();
  clusterId: string | null = null;

  constructor(private readonly d: CredentialManagerDeps) {}

  get hasCredential(): boolean {
    return this.current !== null;
  }

  /** The credential, enrolling first if needed. Rejects only when `signal` aborts. */
  get(signal: AbortSignal): Promise<string> {
    if (this.current) return Promise.resolve(this.current);
    this.pending ??= this.acquire(signal).finally(() => (this.pending = null));
    return this.pending;
  }

  /** Called by a loop whose request was refused for auth reasons. */
  reject(credential: string, err: GatewayError): void {
    if (this.current !== credential) return;
    this.d.log.warn({ status: err.status, code: err.code }, 'the API refused the credential; re-enrolling');
    this.rejected.add(credential);
    this.current = null;
    this.d.onCredentialChange?.(false, this.clusterId);
  }

  private async acquire(signal: AbortSignal): Promise<string> {
    for (;;) {
      if (signal.aborted) throw new NoCredentialError();
      const stored = await this.d.store.load();
      if (stored.credential && !this.rejected.has(stored.credential)) {
        this.current = stored.credential;
        this.clusterId = stored.clusterId ?? this.clusterId;
        this.d.log.info({ clusterId: this.clusterId }, 'using the saved credential');
        this.backoff.reset();
        this.d.onCredentialChange?.(true, this.clusterId);
        return stored.credential;
      }
      const token = this.d.bootstrapToken ?? stored.bootstrapToken;
      let wait: number;
      if (!token) {
        wait = this.backoff.fail();
        this.d.log.error({ retryInMs: wait }, 'no credential and no bootstrap token; waiting for one');
      } else {
        try {
          return await this.enroll(token, signal);
        } catch (e) {
          if (signal.aborted) throw new NoCredentialError();
          const err = e instanceof GatewayError ? e : undefined;
          wait = this.backoff.fail(err?.retryAfterMs);
          this.d.log.warn(
            { status: err?.status, code: err?.code, err: (e as Error).message, retryInMs: wait },
            'enrollment failed',
          );
        }
      }
      await sleep(wait, signal);
    }
  }

  private async enroll(bootstrapToken: string, signal: AbortSignal): Promise<string> {
    const cluster = await this.d.clusterFacts();
    const r = await this.d.gateway.enroll(
      { bootstrapToken, agentVersion: this.d.agentVersion, cluster },
      signal,
    );
    await this.d.store.save({ credential: r.credential, clusterId: r.clusterId });
    this.current = r.credential;
    this.clusterId = r.clusterId;
    this.backoff.reset();
    this.d.log.info({ clusterId: r.clusterId, organizationId: r.organizationId }, 'enrolled');
    this.d.onEnrolled?.(r);
    this.d.onCredentialChange?.(true, r.clusterId);
    return r.credential;
  }
}
