import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { AgentPrincipal } from './agent.authenticator';

export interface CacheBus {
  publish(channel: string, message: string): Promise<unknown>;
  subscriber(): Redis;
  channel: string;
}

// Every revocation is published (invalidateCluster) and reaches a connected subscriber, so while
// it is connected entries live long: a fleet's heartbeats are then not a stream of credential
// queries (with 60 s, every fourth heartbeat of every agent went to Postgres). Without the
// subscriber (not attached, or disconnected, when messages can be missed) the short TTL bounds
// how long a revoked credential may still be accepted, and a (re)connect or a disconnect drops
// everything cached.
const TTL_MS = 60_000;
const TTL_SUBSCRIBED_MS = 10 * 60_000;
const MAX_ENTRIES = 200_000;

/**
 * Agents authenticate on every heartbeat; caching the credential lookup keeps Postgres out of
 * that path. Revocation (deregistration, re-enrollment) invalidates the cluster's entries here at
 * once and on other replicas through Redis pub/sub; the TTL bounds any missed message (see TTL_MS).
 */
@Injectable()
export class AgentCredentialCache implements OnModuleDestroy {
  private readonly byHash = new Map<string, { principal: AgentPrincipal; until: number }>();
  private readonly hashesByCluster = new Map<string, Set<string>>();
  private bus: CacheBus | null = null;
  private sub: Redis | null = null;
  private subscribed = false;
  private invalidations = 0;

  /** Connects cross-replica invalidation (done by the app that has Redis). */
  async attach(bus: CacheBus): Promise<void> {
    this.bus = bus;
    this.sub = bus.subscriber();
    this.sub.on('message', (_c: string, clusterId: string) => this.dropLocal(clusterId));
    this.sub.on('close', () => {
      this.subscribed = false;
      this.clear();
    });
    // Back after a disconnect: once subscribed again (idempotent; ioredis also resubscribes),
    // drop what was cached meanwhile, when revocations could be missed.
    this.sub.on('ready', () => {
      if (this.subscribed) return;
      this.sub?.subscribe(bus.channel).then(
        () => {
          this.clear();
          this.subscribed = true;
        },
        () => undefined,
      );
    });
    await this.sub.subscribe(bus.channel);
    this.clear();
    this.subscribed = true;
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

  /** Changes with every invalidation: take it before a lookup and pass it to set(). */
  get generation(): number {
    return this.invalidations;
  }

  /** Caches a lookup's result, unless an invalidation happened since the lookup began. */
  set(hash: string, principal: AgentPrincipal, now = Date.now(), generation = this.invalidations): void {
    if (generation !== this.invalidations) return;
    if (this.byHash.size >= MAX_ENTRIES) this.byHash.clear();
    this.byHash.set(hash, { principal, until: now + (this.subscribed ? TTL_SUBSCRIBED_MS : TTL_MS) });
    const set = this.hashesByCluster.get(principal.clusterId) ?? new Set();
    set.add(hash);
    this.hashesByCluster.set(principal.clusterId, set);
  }

  /** Call after a transaction that revoked a cluster's credentials has committed. */
  async invalidateCluster(clusterId: string): Promise<void> {
    this.dropLocal(clusterId);
    await this.bus?.publish(this.bus.channel, clusterId);
  }

  private clear(): void {
    this.invalidations++;
    this.byHash.clear();
    this.hashesByCluster.clear();
  }

  private dropLocal(clusterId: string): void {
    this.invalidations++;
    for (const h of this.hashesByCluster.get(clusterId) ?? []) this.byHash.delete(h);
    this.hashesByCluster.delete(clusterId);
  }

  async onModuleDestroy(): Promise<void> {
    this.clear();
  }
}
