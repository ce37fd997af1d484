// A small keyed work queue in the spirit of client-go's: a key is queued at most once, a key
// added while it is being processed is processed again afterwards (never concurrently), and
// adds may be delayed — the earliest requested time wins, which is what debouncing needs.
export class WorkQueue<K> {
  private readonly timers = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private readonly ready = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly dirtyWhileProcessing = new Set<K>();
  private waiter: (() => void) | null = null;
  private shutDown = false;

  add(key: K, delayMs = 0): void {
    if (this.shutDown) return;
    if (delayMs <= 0) return this.makeReady(key);
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.makeReady(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Waits for the next ready key; null once the queue is shut down or `signal` aborts. */
  async next(signal: AbortSignal): Promise<K | null> {
    for (;;) {
      if (this.shutDown || signal.aborted) return null;
      const key = this.ready.values().next();
      if (!key.done) {
        this.ready.delete(key.value);
        this.processing.add(key.value);
        return key.value;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiter = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Marks processing of `key` finished; re-queues it if it was added meanwhile. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirtyWhileProcessing.delete(key)) this.makeReady(key);
  }

  /** Whether a run of `key` is pending (timer or ready). */
  pending(key: K): boolean {
    return this.ready.has(key) || this.timers.has(key);
  }

  shutdown(): void {
    this.shutDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiter?.();
  }

  private makeReady(key: K): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t.timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    this.ready.add(key);
    this.waiter?.();
  }
}
