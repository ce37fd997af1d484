import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INestApplicationContext } from '@nestjs/common';
import {
  exampleEnrollRequest,
  exampleHealthReport,
  exampleHeartbeat,
  PROTOCOL_VERSION,
} from '@meshfleet/agent-protocol';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';

interface Res {
  status: number;
  body: any;
  headers: Headers;
}

function agentClient(api: TestApi) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    credential?: string,
    headers: Record<string, string> = {},
  ): Promise<Res> {
    const res = await fetch(`${api.url}/agent/v1${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
}

const REGISTER = `mutation($name: String!) { registerCluster(input: { name: $name, provider: EKS }) { cluster { id } bootstrapToken { token } } }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status kubernetesVersion nodeCount agentVersion region lastSeenAt
  agent { connected version lastSeenAt enrolledAt }
  health { status reportedStatus unknownReason errorCount warningCount categories { name checks { description result fatal } } }
  mtls { podCoverage trafficCoverage meshedPods totalPods namespaces { name injection podCoverage workloads { name } } }
  certificates { role name notAfter expiresInDays chainsToAnchors source }
  linkerd { installed version proxyVersions { version count } skew }
} }`;

describe('agent gateway', () => {
  let api: TestApi;
  let key: string;
  let call: ReturnType<typeof agentClient>;
  let worker: INestApplicationContext;

  const register = async (name: string) => {
    const r = await api.gql(REGISTER, { name }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return {
      id: r.data!.registerCluster.cluster.id as string,
      token: r.data!.registerCluster.bootstrapToken.token as string,
    };
  };
  const enroll = async (token: string) => {
    const r = await call('POST', '/enroll', { ...exampleEnrollRequest(), bootstrapToken: token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { clusterId: string; credential: string; heartbeatIntervalSeconds: number };
  };
  const cluster = async (id: string) => {
    const r = await api.gql(CLUSTER, { id }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.cluster;
  };
  const count = (table: string) =>
    api.app
      .get(PrismaService)
      .$queryRawUnsafe<{ n: bigint }[]>(`SELECT COUNT(*) AS n FROM "${table}"`)
      .then((r) => Number(r[0]!.n));

  before(async () => {
    api = await startApi({
      MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: '1',
      MESHFLEET_REPORT_INTERVAL_SECONDS: '2',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '600',
    });
    ({ apiKey: key } = await api.newOrg('gw'));
    call = agentClient(api);
  });
  after(async () => {
    await worker?.close();
    await api.close();
  });

  it('enrolls with a bootstrap token, once, and the cluster turns CONNECTED with its facts', async () => {
    const { id, token } = await register('enroll-1');
    const enrolled = await enroll(token);
    assert.equal(enrolled.clusterId, id);
    assert.match(enrolled.credential, /^mfa_/);
    assert.equal(enrolled.heartbeatIntervalSeconds, 1);
    const c = await cluster(id);
    assert.equal(c.status, 'CONNECTED');
    assert.equal(c.kubernetesVersion, 'v1.31.2');
    assert.equal(c.nodeCount, 3);
    assert.equal(c.region, 'eu-west-1');
    assert.equal(c.agent.connected, true);
    assert.equal(c.health.status, 'UNKNOWN', 'no report yet is not healthy');
    assert.match(c.health.unknownReason, /No health report/);
    const again = await call('POST', '/enroll', { ...exampleEnrollRequest(), bootstrapToken: token });
    assert.equal(again.status, 401);
    assert.match(again.body.message, /already used/);
    const bogus = await call('POST', '/enroll', {
      ...exampleEnrollRequest(),
      bootstrapToken: 'mfb_nope_0123456789abcdef',
    });
    assert.equal(bogus.status, 401);
    const stored = await api.app.get(PrismaService).agentCredential.findMany({ where: { clusterId: id } });
    assert.ok(!JSON.stringify(stored).includes(enrolled.credential), 'credential stored hashed');
  });

  it('accepts heartbeats and reports; reports are idempotent by sequence', async () => {
    const { id, token } = await register('report-1');
    const { credential } = await enroll(token);
    const hb = await call('POST', '/heartbeat', exampleHeartbeat(), credential);
    assert.equal(hb.status, 200);
    assert.equal(hb.body.heartbeatIntervalSeconds, 1);
    assert.equal(hb.headers.get('x-meshfleet-protocol-version'), String(PROTOCOL_VERSION));

    const report = { ...exampleHealthReport(), sequence: 10, generatedAt: new Date().toISOString() };
    const r1 = await call('POST', '/reports', report, credential);
    assert.equal(r1.status, 202);
    assert.deepEqual(r1.body, { accepted: true });
    const c = await cluster(id);
    assert.equal(c.health.status, 'HEALTHY');
    assert.equal(c.health.categories[0].name, 'kubernetes-api');
    assert.equal(c.mtls.podCoverage, 1);
    assert.equal(c.mtls.trafficCoverage, 0.9);
    assert.equal(c.linkerd.version, 'edge-26.6.3');
    assert.equal(c.certificates[0].role, 'trust-anchor');
    assert.equal(c.certificates[0].source, 'ConfigMap/linkerd/linkerd-identity-trust-roots#ca-bundle.crt');

    const samples = await count('HealthSample');
    const older = { ...report, sequence: 9, linkerd: { ...report.linkerd, version: 'edge-20.1.1' } };
    assert.deepEqual((await call('POST', '/reports', older, credential)).body, { accepted: false });
    assert.deepEqual((await call('POST', '/reports', report, credential)).body, { accepted: false });
    assert.equal((await cluster(id)).linkerd.version, 'edge-26.6.3');
    assert.equal(await count('HealthSample'), samples);

    const failing = structuredClone(report);
    failing.sequence = 11;
    failing.checks.categories[0]!.checks[0]!.result = 'error';
    failing.checks.success = false;
    assert.equal((await call('POST', '/reports', failing, credential)).body.accepted, true);
    const after = await cluster(id);
    assert.equal(after.health.status, 'UNHEALTHY');
    assert.equal(after.health.errorCount, 1);
    const events = await api.app.get(PrismaService).domainEvent.findMany({
      where: { clusterId: id, type: 'cluster.health_changed' },
      orderBy: { createdAt: 'asc' },
    });
    assert.deepEqual(
      events.map((e) => (e.payload as any).to),
      ['HEALTHY', 'UNHEALTHY'],
    );
    const history = await api.gql(
      `query($id: ID!) { healthHistory(clusterId: $id) { status podCoverage } }`,
      { id },
      key,
    );
    assert.deepEqual(
      history.data!.healthHistory.map((s: any) => s.status),
      ['HEALTHY', 'UNHEALTHY'],
    );
  });

  it('shows an old report as UNKNOWN, never as a stale HEALTHY', async () => {
    const { id, token } = await register('stale-1');
    const { credential } = await enroll(token);
    const old = {
      ...exampleHealthReport(),
      sequence: 1,
      generatedAt: new Date(Date.now() - 60_000).toISOString(),
    };
    assert.equal((await call('POST', '/reports', old, credential)).status, 202);
    const c = await cluster(id);
    assert.equal(c.health.reportedStatus, 'HEALTHY');
    assert.equal(c.health.status, 'UNKNOWN');
    assert.match(c.health.unknownReason, /older than/);
  });

  it('rejects bad payloads, oversized bodies and missing protocol versions, storing nothing', async () => {
    const { token } = await register('bad-1');
    const { credential } = await enroll(token);
    const before = await count('ClusterHealth');
    const bad = exampleHealthReport() as any;
    bad.mtls.podCoverage = 7;
    delete bad.agentVersion;
    const r = await call('POST', '/reports', bad, credential);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'BAD_USER_INPUT');
    assert.match(r.body.message, /mtls\.podCoverage/);
    assert.match(r.body.message, /agentVersion/);
    const huge = exampleHeartbeat() as any;
    huge.agentVersion = 'x'.repeat(10_000);
    const big = await call('POST', '/heartbeat', huge, credential);
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'PAYLOAD_TOO_LARGE');
    const noVersion = await call('POST', '/heartbeat', exampleHeartbeat(), credential, {
      'x-meshfleet-protocol-version': '',
    });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body.error, 'UNSUPPORTED_PROTOCOL_VERSION');
    const previous = await call('POST', '/heartbeat', exampleHeartbeat(), credential, {
      'x-meshfleet-protocol-version': String(PROTOCOL_VERSION - 1),
    });
    assert.equal(previous.status, 200, 'the previous protocol version is still served');
    const future = await call('POST', '/heartbeat', exampleHeartbeat(), credential, {
      'x-meshfleet-protocol-version': '99',
    });
    assert.equal(future.status, 400);
    const malformed = await call('POST', '/heartbeat', '{not json', credential);
    assert.equal(malformed.status, 400);
    assert.equal(await count('ClusterHealth'), before);
  });

  it('answers 401 for unknown credentials and 403 once the cluster is deregistered', async () => {
    assert.equal((await call('POST', '/heartbeat', exampleHeartbeat(), 'mfa_nope_nope')).status, 401);
    assert.equal((await call('POST', '/heartbeat', exampleHeartbeat())).status, 401);
    const { id, token } = await register('dereg-1');
    const { credential } = await enroll(token);
    await api.gql(`mutation($id: ID!) { deregisterCluster(id: $id) { status } }`, { id }, key);
    const r = await call('POST', '/heartbeat', exampleHeartbeat(), credential);
    assert.equal(r.status, 403);
    assert.match(r.body.message, /deregistered/);
  });

  it('keeps the cluster when a redeployed agent enrolls with a fresh token; the old credential stops working', async () => {
    const { id, token } = await register('redeploy-1');
    const first = await enroll(token);
    assert.equal(
      (await call('POST', '/heartbeat', exampleHeartbeat(), first.credential)).status,
      200,
      'restart reuses the credential',
    );
    const rot = await api.gql(
      `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { bootstrapToken { token } } }`,
      { id },
      key,
    );
    const second = await enroll(rot.data!.rotateBootstrapToken.bootstrapToken.token);
    assert.equal(second.clusterId, id);
    assert.equal((await call('POST', '/heartbeat', exampleHeartbeat(), second.credential)).status, 200);
    const old = await call('POST', '/heartbeat', exampleHeartbeat(), first.credential);
    assert.equal(old.status, 403);
    const list = await api.gql(`{ clusters(filter: { search: "redeploy-1" }) { totalCount } }`, {}, key);
    assert.equal(list.data!.clusters.totalCount, 1);
    const audit = await api.gql(
      `query($id: String) { auditEvents(filter: { targetId: $id }) { edges { node { action actorType } } } }`,
      { id },
      key,
    );
    assert.deepEqual(audit.data!.auditEvents.edges.map((e: any) => e.node.action).slice(0, 2), [
      'agent.re-enroll',
      'cluster.rotate-bootstrap-token',
    ]);
  });

  it('delivers a diagnostic task to a long-polling agent at once, and only to that cluster', async () => {
    const a = await register('task-a');
    const b = await register('task-b');
    const credA = (await enroll(a.token)).credential;
    const credB = (await enroll(b.token)).credential;
    const started = Date.now();
    const poll = call('GET', '/tasks/next?waitSeconds=5', undefined, credA);
    await new Promise((r) => setTimeout(r, 300));
    const created = await api.gql(
      `mutation($id: ID!) { collectProxyMetrics(clusterId: $id, namespace: "emojivoto", pod: "web-1") { id status } }`,
      { id: a.id },
      key,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const taskId = created.data!.collectProxyMetrics.id;
    const got = await poll;
    const latency = Date.now() - started - 300;
    assert.equal(got.status, 200);
    assert.equal(got.body.task.id, taskId);
    assert.deepEqual(got.body.task.params, { namespace: 'emojivoto', pod: 'web-1' });
    assert.ok(latency < 2000, `woken after ${latency} ms`);

    const empty = await call('GET', '/tasks/next?waitSeconds=0', undefined, credB);
    assert.deepEqual(empty.body, { task: null });
    const foreign = await call(
      'POST',
      `/tasks/${taskId}/result`,
      { taskId, status: 'succeeded', finishedAt: new Date().toISOString() },
      credB,
    );
    assert.equal(foreign.status, 404, 'an agent cannot touch another cluster’s task');

    const ev = await call(
      'POST',
      `/tasks/${taskId}/events`,
      { taskId, step: 'fetch-metrics', status: 'started', at: new Date().toISOString() },
      credA,
    );
    assert.equal(ev.status, 204);
    const res = await call(
      'POST',
      `/tasks/${taskId}/result`,
      {
        taskId,
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
        output: { kind: 'COLLECT_PROXY_METRICS', metrics: 'request_total 1\n', truncated: false },
      },
      credA,
    );
    assert.equal(res.status, 204);
    const done = { taskId, status: 'succeeded', finishedAt: new Date().toISOString() };
    assert.equal((await call('POST', `/tasks/${taskId}/result`, done, credA)).status, 204, 'idempotent');
    const flip = await call(
      'POST',
      `/tasks/${taskId}/result`,
      { ...done, status: 'failed', error: { code: 'X', message: 'x' } },
      credA,
    );
    assert.equal(flip.status, 409);
    assert.equal(flip.body.message, `Task ${taskId} already finished as SUCCEEDED`);
    const late = { taskId, step: 'fetch-metrics', status: 'progress', at: new Date().toISOString() };
    const lateEv = await call('POST', `/tasks/${taskId}/events`, late, credA);
    assert.equal(lateEv.status, 409);
    assert.equal(lateEv.body.message, `Task ${taskId} is already finished`);
    const junk = await call('POST', '/tasks/not-a-task/events', { ...late, taskId: 'not-a-task' }, credA);
    assert.equal(junk.status, 404);
    assert.equal(junk.body.error, 'NOT_FOUND');
    const mismatch = await call('POST', `/tasks/${taskId}/events`, { ...late, taskId: 'other' }, credA);
    assert.equal(mismatch.status, 400);
    const t = await api.gql(
      `query($id: ID!) { agentTask(id: $id) { status events { step status } output } }`,
      { id: taskId },
      key,
    );
    assert.equal(t.data!.agentTask.status, 'SUCCEEDED');
    assert.deepEqual(t.data!.agentTask.events, [{ step: 'fetch-metrics', status: 'started' }]);
    assert.equal(t.data!.agentTask.output.metrics, 'request_total 1\n');
    const other = await api.newOrg('gw-other');
    assert.equal(
      errorCode(await api.gql(`query($id: ID!) { agentTask(id: $id) { id } }`, { id: taskId }, other.apiKey)),
      'NOT_FOUND',
    );
  });

  it('answers 429 with Retry-After when an agent floods', async () => {
    const { token } = await register('flood-1');
    const { credential } = await enroll(token);
    let limited: Res | null = null;
    for (let i = 0; i < 400 && !limited; i++) {
      const r = await call('POST', '/heartbeat', exampleHeartbeat(), credential);
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, 'expected a 429');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.body.error, 'RATE_LIMITED');
  });

  it('marks a silent cluster OFFLINE within 3 heartbeat intervals and CONNECTED again on the next heartbeat', async () => {
    const { id, token } = await register('offline-1');
    const { credential } = await enroll(token);
    const report = { ...exampleHealthReport(), sequence: Date.now(), generatedAt: new Date().toISOString() };
    await call('POST', '/reports', report, credential);
    assert.equal((await cluster(id)).health.status, 'HEALTHY');
    worker = await startWorkerFor(api, { MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: '1' });
    const silentSince = Date.now();
    let status = 'CONNECTED';
    while (status !== 'OFFLINE' && Date.now() - silentSince < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await cluster(id)).status;
    }
    const took = Date.now() - silentSince;
    assert.equal(status, 'OFFLINE');
    assert.ok(took < 5000, `offline after ${took} ms (3 intervals = 3000 ms plus a sweep)`);
    const offline = await cluster(id);
    assert.equal(offline.health.status, 'UNKNOWN', 'an offline cluster is never shown healthy');
    assert.equal(offline.agent.connected, false);
    const hb = await call('POST', '/heartbeat', exampleHeartbeat(), credential);
    assert.equal(hb.body.reportRequested, true);
    assert.equal((await cluster(id)).status, 'CONNECTED');
    const events = await api.app
      .get(PrismaService)
      .domainEvent.findMany({ where: { clusterId: id }, orderBy: { createdAt: 'asc' } });
    assert.deepEqual(
      events.map((e) => e.type).filter((t) => t.startsWith('cluster.o')),
      ['cluster.online', 'cluster.offline', 'cluster.online'],
    );
  });
});
