// The desired side of drift: exactly the objects this agent last applied for the control plane,
// kept as applied (never re-rendered: the chart's certs, checksums and schedules differ per
// render). Secrets stay out: they hold private keys and are rotated by the agent itself.
import { createHash } from 'node:crypto';
import type { DesiredStore } from './desired-store';

export interface DesiredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

export interface DesiredSnapshot {
  objects: readonly DesiredObject[];
  /** sha256 of the kept objects, so a report says which applied set it compared with. */
  digest: string;
  appliedAt: string;
  /** Grows with every record, also of the same objects (a reconcile): a new pass is due. */
  generation: number;
}

export class DesiredState {
  private snapshot: DesiredSnapshot | null = null;
  private generation = 0;
  private restored = false;

  /** With a store, what is recorded survives an agent restart (restore reads it back). */
  constructor(
    private readonly store?: DesiredStore,
    private readonly onStoreError?: (e: unknown) => void,
  ) {}

  async record(objects: readonly DesiredObject[], now = new Date()): Promise<void> {
    const kept = objects.filter((o) => o.kind !== 'Secret').map((o) => structuredClone(o));
    const digest = `sha256:${createHash('sha256').update(JSON.stringify(kept)).digest('hex')}`;
    this.snapshot = { objects: kept, digest, appliedAt: now.toISOString(), generation: ++this.generation };
    this.restored = true;
    try {
      await this.store?.save(this.snapshot);
    } catch (e) {
      // Drift detection still works from memory; only a restart would forget.
      this.onStoreError?.(e);
    }
  }

  /** After an agent restart: what the previous run applied, read back once from the store. */
  async restore(): Promise<void> {
    if (this.restored || this.snapshot || !this.store) return;
    try {
      const s = await this.store.load();
      this.restored = true;
      if (s && !this.snapshot) this.snapshot = { ...s, generation: ++this.generation };
    } catch (e) {
      this.onStoreError?.(e);
    }
  }

  /** Uninstall: nothing is desired any more. */
  clear(): void {
    this.snapshot = null;
    this.restored = true;
  }

  current(): DesiredSnapshot | null {
    return this.snapshot;
  }
}
