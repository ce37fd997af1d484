import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecycleContext } from './lifecycle-context';
import { KEEPALIVE_MS, runStep } from './step';

describe('runStep', () => {
  it('sends its final event after a keepalive still on its way, never before', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const delivered: string[] = [];
      let releaseBeat!: () => void;
      const ctx = {
        signal: new AbortController().signal,
        async event(_step: string, status: string) {
          // The keepalive's request is slow; the final one would overtake it.
          if (status === 'progress') await new Promise<void>((r) => (releaseBeat = r));
          delivered.push(status);
        },
      } as unknown as LifecycleContext;
      let finishWork!: () => void;
      const done = runStep(ctx, 'extension', 'APPLY_FAILED', async () => {
        await new Promise<void>((r) => (finishWork = r));
        return { message: 'applied' };
      });
      await new Promise((r) => setImmediate(r));
      mock.timers.tick(KEEPALIVE_MS);
      finishWork();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(delivered, ['started'], 'the final event waits for the keepalive');
      releaseBeat();
      await done;
      assert.deepEqual(delivered, ['started', 'progress', 'succeeded']);
    } finally {
      mock.timers.reset();
    }
  });
});
