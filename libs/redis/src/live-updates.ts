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

/** A live update with the object it announced, as read when it came. */
export interface ReadUpdate<T, R> {
  payload: T;
  /** undefined when the read failed: the resolver reads again and reports the error. */
  value: R | undefined;
}

/**
 * The updates a subscriber asked for (`wanted`), each with its object read at once (`read`),
 * skipping an update whose object reads the same as the last one sent: a burst of notifications
 * about one change (events that are read after the change they announce show it already) reaches
 * the subscriber once. Closing it closes the source at once, also while it waits for a message.
 */
export function distinctUpdates<T, R>(
  source: AsyncIterableIterator<T>,
  wanted: (payload: T) => boolean,
  read: (payload: T) => Promise<R>,
): AsyncIterableIterator<ReadUpdate<T, R>> {
  let last: string | undefined;
  const it: AsyncIterableIterator<ReadUpdate<T, R>> = {
    async next() {
      for (;;) {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        if (!wanted(r.value)) continue;
        const value = await read(r.value).catch(() => undefined);
        if (value !== undefined) {
          const seen = JSON.stringify(value);
          if (seen === last) continue;
          last = seen;
        }
        return { done: false, value: { payload: r.value, value } };
      }
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(e: unknown) {
      await source.return?.();
      throw e;
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
