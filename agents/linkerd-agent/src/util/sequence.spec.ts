import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceGenerator } from './sequence';

describe('report sequence', () => {
  it('is strictly increasing even within one millisecond and when the clock steps back', () => {
    let now = 1_000;
    const seq = new SequenceGenerator(() => now);
    const a = seq.next();
    const b = seq.next();
    now = 990;
    const c = seq.next();
    now = 2_000;
    const d = seq.next();
    assert.deepEqual([a, b, c, d], [1000, 1001, 1002, 2000]);
  });

  it('continues above the previous run after a restart (wall-clock based, no saved state)', async () => {
    const before = new SequenceGenerator();
    const last = before.next();
    await new Promise((r) => setTimeout(r, 3));
    const restarted = new SequenceGenerator();
    assert.ok(restarted.next() > last);
  });
});
