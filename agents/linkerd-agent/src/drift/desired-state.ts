// The desired side of drift: exactly the objects this agent last applied for the control plane,
// kept as applied (never re-rendered: the chart's certs, checksums and schedules differ per
// render). Secrets stay out: they hold private keys and are rotated by the agent itself.
import { createHash } from 'node:crypto';

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

  record(objects: readonly DesiredObject[], now = new Date()): void {
    const kept = objects.filter((o) => o.kind !== 'Secret').map((o) => structuredClone(o));
    const digest = `sha256:${createHash('sha256').update(JSON.stringify(kept)).digest('hex')}`;
    this.snapshot = { objects: kept, digest, appliedAt: now.toISOString(), generation: ++this.generation };
  }

  /** Uninstall: nothing is desired any more. */
  clear(): void {
    this.snapshot = null;
  }

  current(): DesiredSnapshot | null {
    return this.snapshot;
  }
}
