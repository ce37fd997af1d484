import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { distinctUpdates } from './live-updates';

/** A source that yields the given messages, then waits forever (as a quiet topic does). */
function source<T>(messages: T[]) {
  let closed = false;
  let wake: (() => void) | null = null;
  const it: AsyncIterableIterator<T> = {
    next: () =>
      messages.length > 0
        ? Promise.resolve({ done: false, value: messages.shift()! })
        : new Promise((resolve) => {
            wake = () => resolve({ done: true, value: undefined });
          }),
    return: () => {
      closed = true;
      wake?.();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]: () => it,
  };
  return { it, closed: () => closed };
}

describe('distinctUpdates', () => {
  it('sends the wanted updates once per distinct state, each with what was read for it', async () => {
    const state: Record<string, string> = { a: 'RUNNING' };
    const s = source([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'a', n: 3 },
      { id: 'a', n: 4 },
    ]);
    const reads: number[] = [];
    const u = distinctUpdates(
      s.it,
      (p) => p.id === 'a',
      async (p) => {
        reads.push(p.n);
        // The second and third notices are read after the change both announce.
        if (p.n === 3) state.a = 'SUCCEEDED';
        return { status: state.a };
      },
    );
    const first = await u.next();
    assert.deepEqual(first.value, { payload: { id: 'a', n: 1 }, value: { status: 'RUNNING' } });
    const second = await u.next();
    assert.deepEqual(second.value, { payload: { id: 'a', n: 3 }, value: { status: 'SUCCEEDED' } });
    assert.deepEqual(reads, [1, 3]);
    // n 4 reads the same SUCCEEDED: not sent; the source then waits, and closing ends it.
    const pending = u.next();
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(reads, [1, 3, 4]);
    await u.return!();
    assert.equal(s.closed(), true);
    assert.equal((await pending).done, true);
  });

  it('passes an update whose read failed, for the resolver to read again', async () => {
    const s = source([{ id: 'a' }, { id: 'a' }]);
    const u = distinctUpdates(
      s.it,
      () => true,
      async () => {
        throw new Error('gone');
      },
    );
    assert.deepEqual((await u.next()).value, { payload: { id: 'a' }, value: undefined });
    assert.deepEqual((await u.next()).value, { payload: { id: 'a' }, value: undefined });
  });
});
