import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisService } from '@meshfleet/redis';

/**
 * Wakes long-polling agents when a task is queued for their cluster, on whichever API replica
 * holds the poll: every replica subscribes to one channel and wakes its local waiters.
 */
@Injectable()
export class AgentWakeupService implements OnModuleDestroy {
  private subscriber: Redis | null = null;
  private ready: Promise<void> | null = null;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly redis: RedisService) {}

  private get channel(): string {
    return this.redis.key('agent-wake');
  }

  private ensureSubscribed(): Promise<void> {
    if (!this.ready) {
      this.subscriber = this.redis.create('agent-wake-sub', { maxRetriesPerRequest: null });
      this.subscriber.on('message', (_channel: string, clusterId: string) => {
        const set = this.waiters.get(clusterId);
        if (set) for (const wake of [...set]) wake();
      });
      this.ready = this.subscriber.subscribe(this.channel).then(() => undefined);
    }
    return this.ready;
  }

  async wake(clusterId: string): Promise<void> {
    await this.redis.client.publish(this.channel, clusterId);
  }

  /** Resolves true when woken, false on timeout or abort. Subscribe before checking for work. */
  async prepare(
    clusterId: string,
  ): Promise<{ wait(ms: number, signal: AbortSignal): Promise<boolean>; cancel(): void }> {
    await this.ensureSubscribed();
    let woken = false;
    let notify: (() => void) | null = null;
    const wake = () => {
      woken = true;
      notify?.();
    };
    const set = this.waiters.get(clusterId) ?? new Set();
    set.add(wake);
    this.waiters.set(clusterId, set);
    const cancel = () => {
      set.delete(wake);
      if (set.size === 0 && this.waiters.get(clusterId) === set) this.waiters.delete(clusterId);
    };
    return {
      cancel,
      wait: (ms, signal) =>
        new Promise<boolean>((resolve) => {
          if (woken) return resolve(true);
          const done = (v: boolean) => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            notify = null;
            resolve(v);
          };
          const onAbort = () => done(false);
          const timer = setTimeout(() => done(false), ms);
          signal.addEventListener('abort', onAbort);
          notify = () => done(true);
        }),
    };
  }

  async onModuleDestroy(): Promise<void> {
    for (const set of this.waiters.values()) for (const wake of set) wake();
    this.waiters.clear();
  }
}
