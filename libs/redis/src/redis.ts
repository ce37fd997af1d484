import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@meshfleet/config';

/**
 * Redis connections of a process. BullMQ wants its own blocking connections, so this
 * only hands out a shared command connection plus connection options for queues/workers.
 */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  private readonly extra = new Set<Redis>();

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.client = this.create('main');
  }

  /** Key prefix for everything this deployment writes (lets tests and tenants of Redis share it). */
  get prefix(): string {
    return this.config.redisPrefix;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** A dedicated connection (subscribers, BullMQ workers); closed with the module. */
  create(name: string, opts: { maxRetriesPerRequest?: number | null } = {}): Redis {
    const conn = new Redis(this.config.redisUrl, {
      connectionName: `meshfleet-${name}`,
      lazyConnect: false,
      maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? 3 : opts.maxRetriesPerRequest,
      enableOfflineQueue: true,
    });
    // Connection errors are retried by ioredis; readiness reports them.
    conn.on('error', () => undefined);
    this.extra.add(conn);
    return conn;
  }

  async ping(): Promise<void> {
    const pong = await this.client.ping();
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.extra].map((c) => c.quit().catch(() => c.disconnect())));
    this.extra.clear();
  }
}
