import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue';

describe('keyed work queue', () => {
  it('coalesces repeated adds of a key into one item', async () => {
    const q = new WorkQueue<string>();
    q.add('report');
    q.add('report');
    q.add('other');
    const signal = AbortSignal.timeout(1000);
    assert.equal(await q.next(signal), 'report');
    assert.equal(await q.next(signal), 'other');
    q.done('report');
    q.done('other');
    assert.equal(q.pending('report'), false);
  });

  it('lets the earliest delayed add win (debounce)', async () => {
    const q = new WorkQueue<string>();
    const t0 = Date.now();
    q.add('report', 50);
    q.add('report', 5000);
    assert.equal(await q.next(AbortSignal.timeout(1000)), 'report');
    assert.ok(Date.now() - t0 < 1000);
  });

  it('re-queues a key added while it was being processed, never handing it out twice at once', async () => {
    const q = new WorkQueue<string>();
    q.add('report');
    const signal = AbortSignal.timeout(1000);
    assert.equal(await q.next(signal), 'report');
    q.add('report');
    assert.equal(q.pending('report'), false, 'held back while processing');
    q.done('report');
    assert.equal(await q.next(signal), 'report');
  });

  it('returns null once shut down', async () => {
    const q = new WorkQueue<string>();
    const waiting = q.next(new AbortController().signal);
    q.shutdown();
    assert.equal(await waiting, null);
  });
});
