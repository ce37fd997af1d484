import { withTimeout } from './metrics';

export interface ReadinessCheck {
  name: string;
  /** Resolves when ready; rejects with the reason otherwise. */
  check(): Promise<void>;
}

export interface ReadinessResult {
  ready: boolean;
  body: {
    status: 'ready' | 'not ready';
    checks: { name: string; ok: boolean; error?: string }[];
  };
}

/** Runs every check at once, each bounded by 2 s; the body names what failed and why. */
export async function evaluateReadiness(checks: ReadinessCheck[]): Promise<ReadinessResult> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(), 2000, c.name);
        return { name: c.name, ok: true };
      } catch (e) {
        return { name: c.name, ok: false, error: e instanceof Error ? e.message : 'failed' };
      }
    }),
  );
  const ready = results.every((r) => r.ok);
  return { ready, body: { status: ready ? 'ready' : 'not ready', checks: results } };
}
