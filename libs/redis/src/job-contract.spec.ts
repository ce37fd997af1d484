import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { JobContract, MalformedJobError } from './job-contract';

const jobs = new JobContract('things', {
  build: z.object({ thingId: z.string().min(1), attempt: z.number().int().optional() }),
  sweep: z.object({}),
});

function malformed(fn: () => unknown): MalformedJobError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MalformedJobError, `expected MalformedJobError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the job to be rejected');
}

describe('JobContract.parse', () => {
  it('returns the payload typed by the job name', () => {
    const j = jobs.parse({ id: '1', name: 'build', data: { thingId: 't-1', attempt: 2 } });
    assert.deepEqual(j, { name: 'build', data: { thingId: 't-1', attempt: 2 } });
    if (j.name === 'build') assert.equal(j.data.thingId.toUpperCase(), 'T-1');
  });

  it('drops keys the contract does not know, so an older worker reads a newer job', () => {
    assert.deepEqual(jobs.parse({ name: 'sweep', data: { since: 5 } }), { name: 'sweep', data: {} });
  });

  it('rejects a payload missing a field, naming the queue, the job and the field', () => {
    const e = malformed(() => jobs.parse({ id: '7', name: 'build', data: { attempt: 1 } }));
    assert.match(e.message, /^malformed things job "build": thingId: /);
    assert.equal(e.queue, 'things');
    assert.equal(e.jobName, 'build');
  });

  it('rejects a field of the wrong type and lists every issue', () => {
    const e = malformed(() => jobs.parse({ name: 'build', data: { thingId: '', attempt: 'two' } }));
    assert.match(e.message, /thingId: .*; attempt: /);
  });

  it('rejects a payload that is not an object at all', () => {
    const e = malformed(() => jobs.parse({ name: 'build', data: null }));
    assert.match(e.message, /\(payload\): /);
  });

  it('rejects an unknown job name and says which names the queue carries', () => {
    const e = malformed(() => jobs.parse({ name: 'sync', data: { thingId: 't-1' } }));
    assert.equal(e.message, 'malformed things job "sync": unknown job name (expected build, sweep)');
  });

  it('does not take inherited object keys for job names', () => {
    malformed(() => jobs.parse({ name: 'toString', data: {} }));
    malformed(() => jobs.parse({ name: '__proto__', data: {} }));
  });

  it('is an UnrecoverableError, so BullMQ fails the job without retrying it', () => {
    const e = malformed(() => jobs.parse({ name: 'build', data: {} }));
    assert.ok(e instanceof UnrecoverableError);
  });
});
