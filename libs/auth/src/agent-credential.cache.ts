import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AgentPrincipal } from './agent.authenticator';

export interface CacheBus {
  publish(channel: string, message: string): Promise<unknown>;
  subscriber(): Redis;
  channel: string;
}

const TTL_MS = 60_000;
const MAX_ENTRIES = 200_000;

/**
 * Agents authenticate on every heartbeat; caching the credential lookup keeps Postgres out of
 * that path. Revocation (deregistration, re-enrollment) invalidates the cluster's entries here at
 * once and on other replicas through Redis pub/sub; the TTL bounds any missed message.
 */
@Injectable()
export class AgentCredentialCache implements OnModuleDestroy {
  private readonly byHash = new Map<string, { principal: AgentPrincipal; until: number }>();
  private readonly hashesByCluster = new Map<string, Set<string>>();
  private bus: CacheBus | null = null;
  private sub: Redis | null = null;

  /** Connects cross-replica invalidation (done by the app that has Redis). */
  async attach(bus: CacheBus): Promise<void> {
    this.bus = bus;
    this.sub = bus.subscriber();
    this.sub.on('message', (_c: string, clusterId: string) => this.dropLocal(clusterId));
    await this.sub.subscribe(bus.channel);
  }

  get(hash: string, now = Date.now()): AgentPrincipal | null {
    const e = this.byHash.get(hash);
    if (!e) return null;
    if (e.until < now) {
      this.byHash.delete(hash);
      return null;
    }
    return e.principal;
  }

  set(hash: string, principal: AgentPrincipal, now = Date.now()): void {
    if (this.byHash.size >= MAX_ENTRIES) this.byHash.clear();
    this.byHash.set(hash, { principal, until: now + TTL_MS });
    const set = this.hashesByCluster.get(principal.clusterId) ?? new Set();
    set.add(hash);
    this.hashesByCluster.set(principal.clusterId, set);
  }

  /** Call after a transaction that revoked a cluster's credentials has committed. */
  async invalidateCluster(clusterId: string): Promise<void> {
    this.dropLocal(clusterId);
    await this.bus?.publish(this.bus.channel, clusterId);
  }

  private dropLocal(clusterId: string): void {
    for (const h of this.hashesByCluster.get(clusterId) ?? []) this.byHash.delete(h);
    this.hashesByCluster.delete(clusterId);
  }

  async onModuleDestroy(): Promise<void> {
    this.byHash.clear();
    this.hashesByCluster.clear();
  }
}
