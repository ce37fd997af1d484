// Waiting for eventual outcomes, and what to print when they do not come.
import assert from 'node:assert/strict';

export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  what: string,
  show: (v: T) => unknown = (v) => v,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(show(v)).slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The part of a clusters listing worth printing when a wait fails. */
export function brief(list: Record<string, any>): unknown {
  return Object.values(list).map((c) => ({
    name: c.name,
    status: c.status,
    health: c.health.status,
    failing: c.health.categories.flatMap((cat: any) =>
      cat.checks.filter((k: any) => k.result !== 'SUCCESS').map((k: any) => `${cat.name}: ${k.description}`),
    ),
    linkerd: c.linkerd,
    mtls: c.mtls && { podCoverage: c.mtls.podCoverage, meshed: c.mtls.meshedPods, total: c.mtls.totalPods },
  }));
}

/** Steps in the order they first appeared across the messages of one operation. */
export function stepOrder(messages: { steps: { step: string }[] }[]): string[] {
  const seen: string[] = [];
  for (const m of messages) for (const s of m.steps) if (!seen.includes(s.step)) seen.push(s.step);
  return seen;
}

export function assertSubsequence(actual: string[], expected: string[], what: string): void {
  let i = 0;
  for (const a of actual) if (a === expected[i]) i++;
  assert.equal(
    i,
    expected.length,
    `${what}: expected ${expected.join(' → ')} in order, got ${actual.join(' → ')}`,
  );
}
