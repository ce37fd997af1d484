import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedBatcher, KeyedBatcherOptions } from './keyed-batcher';

type Item = { key: string; n: number };
const item = (key: string, n = 0): Item => ({ key, n });
const names = (items: Item[]) => items.map((i) => `${i.key}${i.n}`);
const turn = () => new Promise<void>((r) => setImmediate(r));

/** A batcher whose run records every batch and, when gated, waits until released. */
function recording(
  opts: Partial<KeyedBatcherOptions<Item>> & { gated?: boolean; fail?: (i: Item) => boolean },
) {
  const batches: string[][] = [];
  const gates: (() => void)[] = [];
  const inFlightKeys: string[] = [];
  let maxInFlight = 0;
  let inFlight = 0;
  const batcher = new KeyedBatcher<Item>({
    key: (i) => i.key,
    maxBatch: 100,
    concurrency: 1,
    ...opts,
    run: async (items) => {
      batches.push(names(items));
      for (const i of items) {
        assert.ok(!inFlightKeys.includes(i.key), `${i.key} already in flight`);
        inFlightKeys.push(i.key);
      }
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        if (opts.gated) await new Promise<void>((r) => gates.push(r));
        else await turn();
        if (opts.fail && items.some(opts.fail)) throw new Error(`bad ${names(items).join(',')}`);
        return new Set(items.filter((i) => i.n >= 0).map((i) => i.key));
      } finally {
        inFlight--;
        for (const i of items) inFlightKeys.splice(inFlightKeys.indexOf(i.key), 1);
      }
    },
  });
  return {
    batcher,
    batches,
    gates,
    maxInFlight: () => maxInFlight,
    /** Releases the oldest gated batch and lets its settlement run. */
    release: async () => {
      gates.shift()!();
      for (let i = 0; i < 5; i++) await turn();
    },
  };
}

describe('KeyedBatcher', () => {
  it('coalesces concurrent submits into one batch, answering each from the keys run returns', async () => {
    const r = recording({});
    const results = await Promise.all([
      r.batcher.submit(item('a', 1)),
      r.batcher.submit(item('b', -1)),
      r.batcher.submit(item('c', 2)),
    ]);
    assert.deepEqual(r.batches, [['a1', 'b-1', 'c2']]);
    assert.deepEqual(results, [true, false, true]);
  });

  it('splits the queue into batches of at most maxBatch, in submission order', async () => {
    const r = recording({ maxBatch: 3 });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await Promise.all(keys.map((k) => r.batcher.submit(item(k))));
    assert.deepEqual(r.batches, [
      ['a0', 'b0', 'c0'],
      ['d0', 'e0', 'f0'],
      ['g0', 'h0'],
    ]);
  });

  it('never has two items of one key in a batch or in flight, and keeps their order', async () => {
    const r = recording({ concurrency: 2 });
    const order: string[] = [];
    const submit = (i: Item) => r.batcher.submit(i).then(() => order.push(`${i.key}${i.n}`));
    await Promise.all([
      submit(item('a', 1)),
      submit(item('a', 2)),
      submit(item('b', 1)),
      submit(item('a', 3)),
      submit(item('c', 1)),
      submit(item('b', 2)),
    ]);
    assert.deepEqual(r.batches, [['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
    assert.deepEqual(
      order.filter((o) => o.startsWith('a')),
      ['a1', 'a2', 'a3'],
    );
  });

  it('lets a repeat of an in-flight key wait while other keys use the free slot', async () => {
    const r = recording({ concurrency: 2, gated: true });
    const first = r.batcher.submit(item('a', 1));
    await turn();
    assert.deepEqual(r.batches, [['a1']]);
    const rest = Promise.all([r.batcher.submit(item('a', 2)), r.batcher.submit(item('b', 1))]);
    await turn();
    assert.deepEqual(r.batches, [['a1'], ['b1']], 'a2 waits for a1; b1 takes the second slot');
    await r.release();
    assert.equal(await first, true);
    assert.deepEqual(r.batches, [['a1'], ['b1'], ['a2']]);
    await r.release();
    await r.release();
    assert.deepEqual(await rest, [true, true]);
  });

  it('keeps at most concurrency batches in flight', async () => {
    const r = recording({ concurrency: 2, maxBatch: 1, gated: true });
    const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => r.batcher.submit(item(k))));
    await turn();
    assert.deepEqual(r.batches, [['a0'], ['b0']]);
    await r.release();
    assert.deepEqual(r.batches, [['a0'], ['b0'], ['c0']]);
    while (r.gates.length > 0) await r.release();
    assert.deepEqual(await all, [true, true, true, true, true]);
    assert.equal(r.batches.length, 5);
    assert.equal(r.maxInFlight(), 2);
  });

  it('retries a failed batch one by one, so only the bad item rejects', async () => {
    const errors: [string, number][] = [];
    const r = recording({
      fail: (i) => i.key === 'bad',
      onBatchError: (e, size) => errors.push([(e as Error).message, size]),
    });
    const results = await Promise.allSettled([
      r.batcher.submit(item('a')),
      r.batcher.submit(item('bad')),
      r.batcher.submit(item('b', -1)),
    ]);
    assert.deepEqual(
      results.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      [true, 'bad bad0', false],
    );
    assert.deepEqual(r.batches, [['a0', 'bad0', 'b-1'], ['a0'], ['bad0'], ['b-1']]);
    assert.deepEqual(errors, [['bad a0,bad0,b-1', 3]]);
  });

  it('retries through runOne when given one', async () => {
    const one: string[] = [];
    const r = recording({
      fail: () => true,
      runOne: async (i) => {
        one.push(i.key);
        if (i.key === 'bad') throw new Error('still bad');
        return i.key === 'a';
      },
    });
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((k) => r.batcher.submit(item(k))));
    assert.deepEqual(
      results.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      results.map((s) => (s.status === 'fulfilled' ? s.value : null)),
      [true, null, false],
    );
    assert.deepEqual(one, ['a', 'bad', 'b']);
    assert.deepEqual(r.batches, [['a0', 'bad0', 'b0']]);
    // A lone item goes to runOne too (it may be another path).
    assert.equal(await r.batcher.submit(item('a')), true);
    assert.deepEqual(one, ['a', 'bad', 'b', 'a']);
  });
});
