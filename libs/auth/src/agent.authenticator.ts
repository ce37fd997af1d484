import { Injectable } from '@nestjs/common';
import { ForbiddenError, hashSecret, UnauthenticatedError } from '@meshfleet/core';
import { ClusterStatus } from '@meshfleet/db';
import { AgentCredentialCache } from './agent-credential.cache';
import { PrincipalsRepository } from './principals.repository';

/** The agent behind a request: everything it may touch is scoped to this cluster. */
export interface AgentPrincipal {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  credentialId: string;
}

/** The credential in `Authorization: Bearer <credential>`, or '' when there is none. */
export function agentCredentialOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}

export const AGENT_CREDENTIAL_REQUIRED = 'Agent credential required: Authorization: Bearer <credential>';

type Lookup = { resolve(p: AgentPrincipal): void; reject(e: unknown): void };

/**
 * Cache misses of one event-loop turn are looked up in one query: when many agents authenticate
 * at once (an API restart, a reconnect storm) that is one round trip instead of one per agent.
 */
@Injectable()
export class AgentAuthenticator {
  private pending = new Map<string, Lookup[]>();

  constructor(
    private readonly repo: PrincipalsRepository,
    private readonly cache: AgentCredentialCache,
  ) {}

  /** 401 for an unknown credential, 403 for a revoked one or a deregistered cluster. */
  authenticate(secret: string): Promise<AgentPrincipal> {
    const hash = hashSecret(secret);
    const cached = this.cache.get(hash);
    if (cached) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(hash);
      if (waiting) return waiting.push({ resolve, reject });
      this.pending.set(hash, [{ resolve, reject }]);
      if (this.pending.size === 1) setImmediate(() => void this.lookup());
    });
  }

  private async lookup(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const generation = this.cache.generation;
    try {
      const creds = await this.repo.agentCredentialsByHash([...batch.keys()]);
      const byHash = new Map(creds.map((c) => [c.credentialHash, c]));
      for (const [hash, waiting] of batch) {
        let outcome: AgentPrincipal | Error;
        const cred = byHash.get(hash);
        if (!cred) outcome = new UnauthenticatedError('Unknown agent credential');
        else if (cred.cluster.status === ClusterStatus.DEREGISTERED)
          outcome = new ForbiddenError('The cluster is deregistered');
        else if (cred.revokedAt) outcome = new ForbiddenError('This agent credential has been revoked');
        else {
          outcome = {
            organizationId: cred.organizationId,
            clusterId: cred.clusterId,
            clusterName: cred.cluster.name,
            credentialId: cred.id,
          };
          this.cache.set(hash, outcome, Date.now(), generation);
        }
        for (const w of waiting) {
          if (outcome instanceof Error) w.reject(outcome);
          else w.resolve(outcome);
        }
      }
    } catch (e) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(e);
    }
  }
}
