// Meshfleet's own observability on real parts: the API's and the worker's /metrics after real
// traffic and real BullMQ jobs, the worker's /healthz and /readyz, and a worker whose Redis is
// unreachable answering 503 with the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { exampleHealthReport, exampleHeartbeat } from '@meshfleet/agent-protocol';
import { HealthServer } from '@meshfleet/observability';
import { RedisService } from '@meshfleet/redis';
import { freePort, REPO_ROOT } from '@meshfleet/testing';
import { agentCall, eventually, registerAndEnroll } from './agent-http';
import { startApi, startWorkerFor, TestApi } from './harness';

/** The value of the first sample of `name` whose labels include `labels`, or null. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}

/** A webhook receiver answering 200 on /ok and 500 on /broken. */
async function startReceiver() {
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push(req.url ?? '');
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('metrics and health endpoints', () => {
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  let api: TestApi;
  let worker: INestApplicationContext;
  let workerUrl: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;
  let cluster: { id: string; credential: string };

  const text = async (url: string) => {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };
  const endpoint = async (path: string) => {
    const r = await api.gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["cluster.*"] }) { endpoint { id } } }`,
      { u: `${receiver.url}${path}` },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const id = r.data!.createWebhookEndpoint.endpoint.id as string;
    const t = await api.gql(`mutation($e: ID!) { testWebhook(endpointId: $e) { id } }`, { e: id }, key);
    assert.equal(t.errors, undefined, JSON.stringify(t.errors));
  };

  before(async () => {
    const env = { MESHFLEET_ENCRYPTION_KEYS: keys, MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    api = await startApi(env);
    ({ apiKey: key } = await api.newOrg('observability'));
    worker = await startWorkerFor(api, {
      ...env,
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      MESHFLEET_WEBHOOK_RETRY_SCHEDULE: '0,1h',
      MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
    });
    workerUrl = worker.get(HealthServer).url;
    receiver = await startReceiver();
    cluster = await registerAndEnroll(api, key, { name: 'observed' });
  });
  after(async () => {
    await worker?.close();
    await receiver?.close();
    await api?.close();
  });

  it('API: latency by route and code, long-polls counted outside the histogram, reports ingested', async () => {
    const hb = await agentCall(api, 'POST', '/heartbeat', cluster.credential, exampleHeartbeat());
    assert.equal(hb.status, 200);
    const report = { ...exampleHealthReport(), sequence: Date.now() };
    assert.equal((await agentCall(api, 'POST', '/reports', cluster.credential, report)).status, 202);
    assert.equal((await agentCall(api, 'POST', '/reports', cluster.credential, report)).status, 202);
    const poll = await agentCall(api, 'GET', '/tasks/next?waitSeconds=1', cluster.credential);
    assert.equal(poll.status, 200);
    await api.gql('{ viewer { role } }', {}, key);

    const m = await text(`${api.url}/metrics`);
    const graphql = { method: 'POST', route: '/graphql', code: '200' };
    assert.ok(sample(m, 'http_server_request_duration_seconds_count', graphql)! >= 1, 'GraphQL latency');
    const reports = { method: 'POST', route: '/agent/v1/reports', code: '202' };
    assert.equal(sample(m, 'http_server_request_duration_seconds_count', reports), 2);
    assert.equal(
      sample(m, 'http_server_request_duration_seconds_count', { route: '/agent/v1/tasks/next' }),
      null,
      'the long-poll is not in the latency histogram',
    );
    assert.equal(
      sample(m, 'meshfleet_agent_long_polls_total', { route: '/agent/v1/tasks/next', code: '200' }),
      1,
    );
    assert.equal(sample(m, 'meshfleet_agent_reports_ingested_total', { outcome: 'stored' }), 1);
    assert.equal(sample(m, 'meshfleet_agent_reports_ingested_total', { outcome: 'duplicate' }), 1);
    // prom-client's defaults, unprefixed; nothing left under the old names.
    assert.notEqual(sample(m, 'process_cpu_user_seconds_total'), null);
    assert.notEqual(sample(m, 'nodejs_heap_size_used_bytes'), null);
    assert.doesNotMatch(m, /^meshfleet_(process|nodejs|http)_/m);
  });

  it('worker: /healthz and /readyz with every check passing', async () => {
    const health = await fetch(`${workerUrl}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${workerUrl}/readyz`);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.checks.map((c) => [c.name, c.ok]),
      [
        ['postgres', true],
        ['redis', true],
        ['workers', true],
      ],
    );
    assert.equal((await fetch(`${workerUrl}/nope`)).status, 404);
  });

  it('worker: queue depths, job durations and failures, webhook outcomes, fleet gauges after jobs ran', async () => {
    await endpoint('/ok');
    await endpoint('/broken');
    await eventually(
      () => receiver.got.length,
      (n) => n >= 2,
    );
    // A job no contract allows: it fails at once, without retries.
    const redis = api.app.get(RedisService);
    const queue = new Queue('operations', {
      connection: redis.create('test-queue', { maxRetriesPerRequest: null }),
      prefix: redis.key('bull'),
    });
    try {
      await queue.add('dispatch', { operationId: 42 }, { attempts: 1 });
    } finally {
      await queue.close();
    }
    const m = await eventually(
      () => text(`${workerUrl}/metrics`),
      (t) =>
        (sample(t, 'meshfleet_queue_jobs_failed_total', { queue: 'operations', job: 'dispatch' }) ?? 0) >=
          1 &&
        (sample(t, 'meshfleet_webhook_delivery_attempts_total', { outcome: 'retrying' }) ?? 0) >= 1 &&
        (sample(t, 'meshfleet_webhook_delivery_attempts_total', { outcome: 'succeeded' }) ?? 0) >= 1,
    );
    const deliver = { queue: 'webhooks', job: 'deliver', outcome: 'completed' };
    assert.ok(sample(m, 'meshfleet_queue_job_duration_seconds_count', deliver)! >= 2, 'two deliveries ran');
    const failed = { queue: 'operations', job: 'dispatch', outcome: 'failed' };
    assert.equal(sample(m, 'meshfleet_queue_job_duration_seconds_count', failed), 1);
    assert.equal(
      sample(m, 'meshfleet_webhook_delivery_attempts_total', { outcome: 'succeeded', status_class: '2xx' }),
      1,
    );
    assert.equal(
      sample(m, 'meshfleet_webhook_delivery_attempts_total', { outcome: 'retrying', status_class: '5xx' }),
      1,
    );
    // Delayed: the retry due in an hour, and the reconciler's next scheduled run. The malformed
    // job stays in "failed".
    assert.equal(sample(m, 'meshfleet_queue_jobs', { queue: 'webhooks', state: 'delayed' }), 2);
    assert.ok(sample(m, 'meshfleet_queue_jobs', { queue: 'operations', state: 'failed' })! >= 1);
    for (const q of ['operations', 'webhooks', 'rollouts'])
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        assert.notEqual(sample(m, 'meshfleet_queue_jobs', { queue: q, state }), null, `${q} ${state}`);
    for (const consumer of ['alerts', 'webhooks']) {
      const lag = sample(m, 'meshfleet_outbox_lag_seconds', { consumer });
      assert.ok(lag !== null && lag >= 0 && lag < 60, `${consumer} lag ${lag}`);
    }
    assert.equal(sample(m, 'meshfleet_agents_connected'), 1);
    assert.equal(sample(m, 'meshfleet_operations', { status: 'RUNNING' }), 0);
    assert.notEqual(sample(m, 'process_resident_memory_bytes'), null);
  });
});

describe('a worker whose Redis is unreachable', () => {
  it('is alive (/healthz 200) but not ready (/readyz 503 naming Redis), and stops on SIGTERM', async () => {
    const api = await startApi();
    const closed = await freePort(); // nothing listens there
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'apps/worker/dist/src/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: api.db.url,
        REDIS_URL: `redis://127.0.0.1:${closed}`,
        MESHFLEET_WORKER_PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const health = await eventually(
        () =>
          fetch(`${url}/healthz`).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
      );
      assert.equal(health, 200);
      const ready = await eventually(
        async () => {
          const r = await fetch(`${url}/readyz`);
          return { status: r.status, body: (await r.json()) as any };
        },
        (r) => r.body.checks?.length === 3,
      );
      assert.equal(ready.status, 503);
      const byName = Object.fromEntries(ready.body.checks.map((c: any) => [c.name, c]));
      assert.equal(byName.postgres.ok, true);
      assert.equal(byName.redis.ok, false);
      assert.match(byName.redis.error, /Redis connection is/);
      assert.equal(byName.workers.ok, false);
      assert.match(byName.workers.error, /starting/);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await api.close();
    }
  });
});
