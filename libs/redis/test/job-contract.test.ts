import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Job, Queue, Worker } from 'bullmq';
import { z } from 'zod';
import { loadConfig } from '@meshfleet/config';
import { testRedisUrl, uniqueRedisPrefix } from '@meshfleet/testing';
import { JobContract, MalformedJobError } from '../src/job-contract';
import { RedisService } from '../src/redis';

const jobs = new JobContract('contract-test', {
  build: z.object({ thingId: z.string().min(1) }),
});

describe('a queue behind a JobContract (real Redis)', () => {
  let redis: RedisService;
  let queue: Queue;
  let worker: Worker;
  const built: string[] = [];

  before(async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgresql://unused@127.0.0.1:5432/unused',
      REDIS_URL: testRedisUrl(),
      MESHFLEET_REDIS_PREFIX: uniqueRedisPrefix(),
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
    });
    redis = new RedisService(config);
    const prefix = redis.key('bull');
    queue = new Queue(jobs.queue, {
      connection: redis.create('test-queue', { maxRetriesPerRequest: null }),
      prefix,
      defaultJobOptions: { attempts: 5, backoff: { type: 'fixed', delay: 10 } },
    });
    worker = new Worker(
      jobs.queue,
      async (job) => {
        const j = jobs.parse(job);
        built.push(j.data.thingId);
      },
      { connection: redis.create('test-worker', { maxRetriesPerRequest: null }), prefix },
    );
    await worker.waitUntilReady();
  });

  after(async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.onModuleDestroy();
  });

  const settled = async (id: string): Promise<Job> => {
    for (let i = 0; i < 200; i++) {
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') return (await queue.getJob(id))!;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`job ${id} did not settle`);
  };

  it('fails a malformed payload once, with the reason, and keeps the worker taking jobs', async () => {
    const failed = once(worker, 'failed');
    // Written past the contract, as an older or foreign producer could.
    await queue.add('build', { thing: 42 }, { jobId: 'bad-1' });
    const [, err] = (await failed) as [Job, Error];
    assert.ok(err instanceof MalformedJobError);
    const bad = await settled('bad-1');
    assert.equal(bad.attemptsMade, 1, 'not retried');
    assert.match(bad.failedReason, /^malformed contract-test job "build": thingId: /);

    await jobs.add(queue, 'build', { thingId: 'good-1' }, { jobId: 'good-1' });
    assert.equal(await (await settled('good-1')).isCompleted(), true);
    assert.deepEqual(built, ['good-1']);
  });

  it('fails a job whose name the queue does not carry', async () => {
    await queue.add('sync', { thingId: 't' }, { jobId: 'unknown-1' });
    const job = await settled('unknown-1');
    assert.equal(await job.isFailed(), true);
    assert.equal(job.attemptsMade, 1);
    assert.match(job.failedReason, /unknown job name \(expected build\)/);
  });

  it('refuses to enqueue a payload that breaks the contract', async () => {
    const bad = { thingId: '' };
    await assert.rejects(jobs.add(queue, 'build', bad, { jobId: 'never' }), MalformedJobError);
    assert.equal(await queue.getJob('never'), undefined);
  });
});
