import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueMonitor } from '@meshfleet/observability';
import type { LiveUpdates, RedisService } from '@meshfleet/redis';
import type { RolloutsOrchestrator } from './rollouts.orchestrator';
import { KICK_GAP_MS, RolloutsWorker } from './rollouts.worker';

/** A worker whose ticks are played by `tick` (kick() needs nothing else of it). */
function workerWith(tick: () => Promise<Date | null>): RolloutsWorker {
  const orchestrator = { tickAll: tick } as unknown as RolloutsOrchestrator;
  return new RolloutsWorker({} as RedisService, {} as LiveUpdates, orchestrator, {} as QueueMonitor);
}

describe('rollout worker kicks', () => {
  it('coalesces kicks arriving during a tick into one more tick', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    let ticks = 0;
    const worker = workerWith(async () => {
      if (++ticks === 1) await blocked;
      return null;
    });
    const first = worker.kick();
    for (let i = 0; i < 5; i++) void worker.kick();
    release();
    await first;
    assert.equal(ticks, 2);
  });

  it("ticks at a health gate's end without keeping the gap that coalesces event kicks", async () => {
    const starts: number[] = [];
    let done!: () => void;
    const second = new Promise<void>((r) => (done = r));
    const worker = workerWith(async () => {
      starts.push(performance.now());
      if (starts.length === 1) return new Date(); // a gate ends now
      done();
      return null;
    });
    // The gate's timer is unref'd (a worker has its connections to live for): keep this one up.
    const alive = setInterval(() => undefined, 1000);
    await worker.kick();
    await second;
    clearInterval(alive);
    // An event kick would wait out the gap after the first tick's start.
    const apart = starts[1]! - starts[0]!;
    assert.ok(apart < KICK_GAP_MS, `second tick ${Math.round(apart)} ms after the first`);
    await worker.onModuleDestroy();
  });
});
