// One client-node informer (ListWatch) made resilient. client-node reconnects a watch that ends
// normally, but after a list or watch *error* it only fires 'error' and stays stopped — the
// "agent that never reconnects" failure. This wrapper restarts it with backoff and jitter and
// tracks whether the cache has been filled at least once (synced).
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff } from '../util/backoff';
import { errorMessage } from '../util/errors';

export type ListFn<T extends k8s.KubernetesObject> = () => Promise<k8s.KubernetesListObject<T>>;

export class ManagedInformer<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private readonly backoff = new Backoff({ baseMs: 500, capMs: 30_000 });
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failedSinceStart = false;
  private syncedOnce = false;
  private readonly syncWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    kc: k8s.KubeConfig,
    path: string,
    list: ListFn<T>,
    private readonly log: Logger,
    onChange?: (resource: string) => void,
  ) {
    this.informer = k8s.makeInformer(kc, path, list);
    if (onChange) this.informer.on('change', () => onChange(name));
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Cached objects. Shared with the informer: callers must treat them as read-only. */
  list(): ReadonlyArray<T> {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  start(): void {
    this.stopped = false;
    void this.run();
  }

  /** Resolves once the first list has landed in the cache. */
  waitForSync(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
    // Nobody will ever be synced now; release waiters so shutdown is not held up.
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    this.failedSinceStart = false;
    try {
      // Resolves after the list succeeded and the watch is open, or after an 'error' was fired.
      await this.informer.start();
    } catch (err) {
      this.onError(err);
      return;
    }
    if (this.failedSinceStart || this.stopped) return;
    this.backoff.reset();
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private onError(err: unknown): void {
    this.failedSinceStart = true;
    if (this.stopped || this.restartTimer) return;
    const delay = this.backoff.fail();
    this.log.warn(
      { informer: this.name, err: errorMessage(err), retryInMs: delay, attempt: this.backoff.attempts },
      'informer failed; restarting',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.run();
    }, delay);
    this.restartTimer.unref();
  }
}
