import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { RedisService } from './redis';

/**
 * Fan-out of change notifications to GraphQL subscriptions on every API replica (Redis pub/sub).
 * Payloads carry ids only; subscribers re-read Postgres, which stays the source of truth.
 */
@Injectable()
export class LiveUpdates implements OnModuleDestroy {
  private pubsub: RedisPubSub | null = null;

  constructor(private readonly redis: RedisService) {}

  private get bus(): RedisPubSub {
    this.pubsub ??= new RedisPubSub({
      publisher: this.redis.create('live-pub'),
      subscriber: this.redis.create('live-sub', { maxRetriesPerRequest: null }),
    });
    return this.pubsub;
  }

  private topic(name: string): string {
    return this.redis.key('live', name);
  }

  async publish(name: string, payload: Record<string, unknown>): Promise<void> {
    await this.bus.publish(this.topic(name), payload);
  }

  iterator<T>(name: string): AsyncIterableIterator<T> {
    return this.bus.asyncIterableIterator(this.topic(name)) as AsyncIterableIterator<T>;
  }

  async onModuleDestroy(): Promise<void> {
    // RedisService may already have closed the underlying connections.
    await this.pubsub?.close().catch(() => undefined);
  }
}
