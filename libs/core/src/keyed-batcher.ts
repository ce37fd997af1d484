/** How a KeyedBatcher groups items and stores a batch. */
export interface KeyedBatcherOptions<T> {
  /** Items with the same key are never in one batch, nor in two batches in flight at once. */
  key(item: T): string;
  /** Stores a batch (distinct keys); returns the keys that succeeded. */
  run(items: T[]): Promise<Set<string>>;
  /** Stores one item after its batch threw; defaults to run([item]). */
  runOne?(item: T): Promise<boolean>;
  /** Most items in one batch. */
  maxBatch: number;
  /** Most batches in flight at once. */
  concurrency: number;
  /** Called when a batch of several items throws, before they are retried one by one (for logging). */
  onBatchError?(e: unknown, size: number): void;
}

interface Pending<T> {
  item: T;
  key: string;
  resolve(ok: boolean): void;
  reject(e: unknown): void;
}

/**
 * Coalesces concurrent submits into batches. An item waits one event-loop turn (setImmediate) when
 * a batch slot is free; otherwise the queue grows until one frees up and the next batch is bigger.
 * Items of one key go to the store in submission order, one batch at a time, so in-flight batches
 * touch disjoint keys. When a batch throws, its items are retried one by one so that only a bad
 * item's promise rejects.
 */
export class KeyedBatcher<T> {
  private queue: Pending<T>[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly opts: KeyedBatcherOptions<T>) {
    if (!(opts.maxBatch >= 1) || !(opts.concurrency >= 1))
      throw new RangeError('KeyedBatcher needs maxBatch >= 1 and concurrency >= 1');
  }

  /** True when run (or runOne) reported the item's key as succeeded. */
  submit(item: T): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, key: this.opts.key(item), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const batch: Pending<T>[] = [];
      const rest: Pending<T>[] = [];
      // Keys seen in this pass: a later item of a key never overtakes an earlier one left queued.
      const seen = new Set<string>();
      for (const p of this.queue) {
        if (batch.length < this.opts.maxBatch && !seen.has(p.key) && !this.busy.has(p.key)) batch.push(p);
        else rest.push(p);
        seen.add(p.key);
      }
      this.queue = rest;
      if (batch.length === 0) return; // every queued key is in flight; its batch settling reschedules
      for (const p of batch) this.busy.add(p.key);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const p of batch) this.busy.delete(p.key);
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  private async run(batch: Pending<T>[]): Promise<void> {
    let ok: Set<string>;
    try {
      ok = await this.opts.run(batch.map((p) => p.item));
    } catch (e) {
      // Retrying a lone item the same way would fail the same way.
      if (batch.length === 1 && !this.opts.runOne) return batch[0]!.reject(e);
      if (batch.length > 1) {
        try {
          this.opts.onBatchError?.(e, batch.length);
        } catch {
          // logging only
        }
      }
      for (const p of batch) {
        try {
          p.resolve(await this.runOne(p.item));
        } catch (err) {
          p.reject(err);
        }
      }
      return;
    }
    for (const p of batch) p.resolve(ok.has(p.key));
  }

  private async runOne(item: T): Promise<boolean> {
    if (this.opts.runOne) return this.opts.runOne(item);
    return (await this.opts.run([item])).has(this.opts.key(item));
  }
}
