// Runs the drift check for the health report at most once per interval (the report interval),
// and again at once when the desired set changed (an install, upgrade or reconcile). A failed
// pass keeps the last result: drift is a slow signal and a blip must not clear it.
import type { DriftReport } from '@meshfleet/agent-protocol';
import { checkDrift, type DiffCache } from './drift-check';
import type { DesiredState } from './desired-state';

export interface DriftMonitorDeps {
  ops: Parameters<typeof checkDrift>[0];
  desired: DesiredState;
  /** Minimum spacing between passes. */
  intervalMs: () => number;
  onError?: (e: unknown) => void;
}

export class DriftMonitor {
  private last: { at: number; generation: number; report: DriftReport } | null = null;
  /** When a manager-less finding was first seen, so `since` does not move each pass. */
  private readonly firstSeen = new Map<string, string>();
  /** Diffs of unchanged objects, for the current desired generation. */
  private cache: { generation: number; diffs: DiffCache } = { generation: 0, diffs: new Map() };

  constructor(private readonly d: DriftMonitorDeps) {}

  async current(now = new Date()): Promise<DriftReport | null> {
    await this.d.desired.restore();
    const desired = this.d.desired.current();
    if (!desired) {
      this.last = null;
      return null;
    }
    const fresh =
      this.last &&
      this.last.generation === desired.generation &&
      now.getTime() - this.last.at < this.d.intervalMs();
    if (fresh) return this.last!.report;
    try {
      if (this.cache.generation !== desired.generation)
        this.cache = { generation: desired.generation, diffs: new Map() };
      const report = await checkDrift(this.d.ops, desired, now, this.cache.diffs);
      this.keepFirstSeen(report);
      this.last = { at: now.getTime(), generation: desired.generation, report };
    } catch (e) {
      this.d.onError?.(e);
    }
    return this.last?.generation === desired.generation ? this.last.report : null;
  }

  private keepFirstSeen(report: DriftReport): void {
    const seen = new Set<string>();
    for (const f of report.findings) {
      const key = `${f.kind}/${f.namespace ?? ''}/${f.name}/${f.path}`;
      seen.add(key);
      if (f.manager) continue;
      const first = this.firstSeen.get(key);
      if (first) f.since = first;
      else if (f.since) this.firstSeen.set(key, f.since);
    }
    for (const k of [...this.firstSeen.keys()]) if (!seen.has(k)) this.firstSeen.delete(k);
  }
}
