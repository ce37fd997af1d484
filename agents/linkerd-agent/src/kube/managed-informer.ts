// One client-node informer (ListWatch) made resilient. client-node reconnects a watch that ends
// normally, but after a list or watch *error* it only fires 'error' and stays stopped — the
// "agent that never reconnects" failure. This wrapper restarts it with backoff and jitter and
// tracks whether the cache has been filled at least once (synced).
// Optional informers (resources a cluster may not serve, or an older agent role may not grant)
// count as synced but "unavailable" after a 404/403, and keep retrying in the background.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Backoff } from '../util/backoff';
import { errorMessage } from '../util/errors';

/** One page of a list: the client-node list call with `limit` and `_continue` passed through. */
export type ListFn<T extends k8s.KubernetesObject> = (page: {
  limit: number;
  _continue?: string;
}) => Promise<k8s.KubernetesListObject<T>>;

/**
 * Objects per list page, as client-go's reflector asks. One response for 4,000 pods is ~20 MiB
 * of JSON, parsed and then copied into model objects: pages keep that peak to a slice.
 */
export const LIST_PAGE_SIZE = 500;

/** Every page of a list, as one list with the last page's metadata (its resourceVersion). */
export async function listAllPages<T extends k8s.KubernetesObject>(
  list: ListFn<T>,
  strip: (obj: T) => T = (o) => o,
  pageSize = LIST_PAGE_SIZE,
): Promise<k8s.KubernetesListObject<T>> {
  const items: T[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await list({ limit: pageSize, ...(token ? { _continue: token } : {}) });
    for (const o of page.items) items.push(strip(o));
    token = page.metadata?._continue || undefined;
    if (!token) return { ...page, metadata: { ...page.metadata, _continue: undefined }, items };
  }
}

export interface InformerOptions<T> {
  /** Report changes under the informer's name. */
  onChange?: (resource: string) => void;
  /** Server-side label selector for the list and the watch. */
  labelSelector?: string;
  /** Cuts an object down before it is cached (list items and watch events alike). */
  strip?: (obj: T) => T;
  /** A 404/403 on the list leaves the informer synced but unavailable instead of unsynced. */
  optional?: boolean;
}

/** A Watch whose events pass through `strip` before the cache sees them. */
class StrippingWatch<T> extends k8s.Watch {
  constructor(
    kc: k8s.KubeConfig,
    private readonly strip: (obj: T) => T,
  ) {
    super(kc);
  }

  override watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      params,
      (phase, obj, raw) =>
        callback(phase, phase === 'ERROR' || phase === 'BOOKMARK' ? obj : this.strip(obj as T), raw),
      done,
    );
  }
}

export class ManagedInformer<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private readonly backoff = new Backoff({ baseMs: 500, capMs: 30_000 });
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failedSinceStart = false;
  private syncedOnce = false;
  private unavailable = false;
  private readonly syncWaiters: Array<() => void> = [];
  private readonly optional: boolean;

  constructor(
    readonly name: string,
    kc: k8s.KubeConfig,
    path: string,
    list: ListFn<T>,
    private readonly log: Logger,
    options: InformerOptions<T> = {},
  ) {
    const { strip, labelSelector, onChange } = options;
    this.optional = options.optional ?? false;
    const listFn = () => listAllPages(list, strip);
    const watch = strip ? new StrippingWatch(kc, strip) : new k8s.Watch(kc);
    this.informer = new k8s.ListWatch<T>(path, watch, listFn, false, labelSelector);
    if (onChange) this.informer.on('change', () => onChange(name));
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  /** False while an optional informer's resource is not served or not granted (its cache is empty). */
  get available(): boolean {
    return this.syncedOnce && !this.unavailable;
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
    this.unavailable = false;
    this.markSynced();
  }

  private markSynced(): void {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private onError(err: unknown): void {
    this.failedSinceStart = true;
    const status = statusOf(err);
    if (this.optional && (status === 404 || status === 403)) {
      // Not served (no aggregation layer yet) or not granted (an older agent role): report it
      // as unknown rather than hold up every report; the retry below picks it up later.
      if (!this.unavailable) this.log.info({ informer: this.name, status }, 'resource unavailable; skipped');
      this.unavailable = true;
      this.markSynced();
    }
    if (this.stopped || this.restartTimer) return;
    const delay = this.backoff.fail();
    if (!this.unavailable)
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

function statusOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  return typeof e.statusCode === 'number' ? e.statusCode : undefined;
}
