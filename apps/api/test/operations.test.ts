// Operations through the real API and worker, with this test playing the agent over HTTP
// (the agent's own executor is tested against the simulator in agents/linkerd-agent).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { createIssuerCsr } from '@meshfleet/certificates';
import { PrismaService } from '@meshfleet/db';
import { bundleDigest } from '@meshfleet/linkerd';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall as agentHttp, eventually, linkerdReport, registerAndEnroll } from './agent-http';

const OP = `id kind status error steps { step status } params`;

describe('lifecycle operations', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let domainId: string;

  const agentCall = (method: string, path: string, credential: string, body?: unknown) =>
    agentHttp(api, method, path, credential, body);
  const enrolledCluster = async (
    name: string,
    linkerd: { installed: boolean; version: string | null; oldestProxy?: string },
  ) => {
    const c = await registerAndEnroll(api, key, { name, kubernetesVersion: 'v1.31.4' });
    const report = linkerdReport(linkerd.version, {
      installed: linkerd.installed,
      kubernetesVersion: 'v1.31.4',
      oldestProxy: linkerd.oldestProxy ?? linkerd.version,
    });
    assert.equal((await agentCall('POST', '/reports', c.credential, report)).status, 202);
    return c;
  };
  const op = async (id: string) =>
    (await api.gql(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id }, key)).data!.operation;
  const until = <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000) => eventually(fn, ok, ms);

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
    });
    ({ apiKey: key } = await api.newOrg('ops'));
    worker = await startWorkerFor(api, {
      MESHFLEET_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')}`,
    });
    const d = await api.gql(`mutation { createIdentityDomain(input: { name: "mesh" }) { id } }`, {}, key);
    domainId = d.data!.createIdentityDomain.id;
  });
  after(async () => {
    await worker?.close();
    await api.close();
  });

  it('lists the simulated release catalog, labelled simulated', async () => {
    const r = await api.gql(
      `{ linkerdReleases { version major simulated imported kubernetesMin bundles { variant crdsDigest } } }`,
      {},
      key,
    );
    const versions = r.data!.linkerdReleases.map((x: any) => x.version);
    for (const v of ['enterprise-2.18.0', 'enterprise-2.19.1', 'enterprise-2.20.0'])
      assert.ok(versions.includes(v), v);
    assert.ok(
      r.data!.linkerdReleases.every((x: any) => x.simulated && !x.imported && x.bundles.length === 2),
    );
  });

  it('installs through the agent channel: dispatch, bundles, CSR signing, steps, success', async () => {
    const { id, credential } = await enrolledCluster('install-1', { installed: false, version: null });
    const r = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { ${OP} } }`,
      { c: id, d: domainId },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const opId = r.data!.installLinkerd.id;
    const second = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      { c: id, d: domainId },
      key,
    );
    assert.equal(errorCode(second), 'CONFLICT', 'one active operation per cluster');

    const poll = await agentCall('GET', '/tasks/next?waitSeconds=5', credential);
    assert.equal(poll.status, 200);
    const task = poll.body.task;
    assert.equal(task.kind, 'LINKERD_INSTALL');
    assert.equal(task.params.operationId, opId);
    assert.equal(task.params.identity.mode, 'MANAGED');
    assert.match(task.params.identity.trustAnchorsPem, /BEGIN CERTIFICATE/);
    assert.equal((await op(opId)).status, 'DISPATCHED');

    const bundles = await agentCall(
      'GET',
      `/releases/${task.params.release.version}/${task.params.release.variant}`,
      credential,
    );
    assert.equal(bundles.status, 200);
    assert.equal(bundleDigest(bundles.body.crds.yaml), task.params.release.crdsDigest);
    assert.equal(bundleDigest(bundles.body.controlPlane.yaml), task.params.release.controlPlaneDigest);
    assert.equal(bundles.body.simulated, true);
    assert.ok(!/PRIVATE KEY/.test(bundles.body.controlPlane.yaml));

    const at = () => new Date().toISOString();
    await agentCall('POST', `/tasks/${task.id}/events`, credential, {
      taskId: task.id,
      step: 'precheck',
      status: 'succeeded',
      at: at(),
    });
    const csr = await createIssuerCsr('cluster.local');
    const signed = await agentCall('POST', `/tasks/${task.id}/issuer-csr`, credential, {
      csrPem: csr.csrPem,
    });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const dir = mkdtempSync(join(tmpdir(), 'mf-op-'));
    writeFileSync(join(dir, 'ca.pem'), signed.body.trustAnchorsPem);
    writeFileSync(join(dir, 'issuer.pem'), signed.body.issuerCertPem);
    assert.match(
      execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'issuer.pem')], {
        encoding: 'utf8',
      }),
      /OK/,
    );
    const running = await until(
      () => op(opId),
      (o) => o.status === 'RUNNING',
    );
    assert.deepEqual(
      running.steps.map((s: any) => s.step),
      ['precheck'],
    );

    await agentCall('POST', `/tasks/${task.id}/events`, credential, {
      taskId: task.id,
      step: 'postcheck',
      status: 'succeeded',
      at: at(),
    });
    const res = await agentCall('POST', `/tasks/${task.id}/result`, credential, {
      taskId: task.id,
      status: 'succeeded',
      finishedAt: at(),
      output: {
        kind: 'LIFECYCLE',
        controlPlaneVersion: 'enterprise-2.19.1',
        postcheck: { errors: 0, warnings: 0, summary: 'ok' },
      },
    });
    assert.equal(res.status, 204);
    const done = await until(
      () => op(opId),
      (o) => o.status === 'SUCCEEDED',
    );
    assert.deepEqual(
      done.steps.map((s: any) => s.step),
      ['precheck', 'postcheck'],
    );
    const prisma = api.app.get(PrismaService);
    assert.equal((await prisma.cluster.findUniqueOrThrow({ where: { id } })).identityDomainId, domainId);
    assert.equal(await prisma.clusterOperationLock.count({ where: { clusterId: id } }), 0, 'lock released');
    const events = await prisma.domainEvent.findMany({
      where: { clusterId: id, type: { startsWith: 'operation.' } },
      orderBy: { createdAt: 'asc' },
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['operation.queued', 'operation.succeeded'],
    );
    assert.ok(!JSON.stringify(await prisma.issuerCertificate.findMany()).includes('PRIVATE KEY'));
  });

  it('refuses with clear reasons: offline cluster, unknown version, skipped major, already installed', async () => {
    const pending = await api.gql(
      `mutation { registerCluster(input: { name: "pending-1", provider: AKS }) { cluster { id } } }`,
      {},
      key,
    );
    const p = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      { c: pending.data!.registerCluster.cluster.id, d: domainId },
      key,
    );
    assert.equal(errorCode(p), 'FAILED_PRECONDITION');
    assert.equal(p.errors![0]!.extensions!['reason'], 'CLUSTER_NOT_CONNECTED');

    const old = await enrolledCluster('old-1', { installed: true, version: 'enterprise-2.18.0' });
    const skip = await api.gql(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.20.0" }) { id } }`,
      { c: old.id },
      key,
    );
    assert.equal(errorCode(skip), 'FAILED_PRECONDITION');
    assert.equal(skip.errors![0]!.extensions!['reason'], 'SKIPS_MAJOR');
    assert.match(skip.errors![0]!.message, /2\.19/);
    const unknown = await api.gql(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-9.99.0" }) { id } }`,
      { c: old.id },
      key,
    );
    assert.equal(errorCode(unknown), 'BAD_USER_INPUT');
    const again = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      { c: old.id, d: domainId },
      key,
    );
    assert.equal(errorCode(again), 'FAILED_PRECONDITION');
    assert.equal(
      await api.app.get(PrismaService).operation.count({ where: { clusterId: old.id } }),
      0,
      'nothing written on refusal',
    );
    const ok = await api.gql(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", restartDataPlane: true }) { kind status params } }`,
      { c: old.id },
      key,
    );
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    assert.equal(ok.data!.upgradeLinkerd.params.restartDataPlane, true);
  });

  it('cancels a dispatched operation; the agent is told to stop at its next step', async () => {
    const { id, credential } = await enrolledCluster('cancel-1', { installed: false, version: null });
    const r = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      { c: id, d: domainId },
      key,
    );
    const opId = r.data!.installLinkerd.id;
    const task = (await agentCall('GET', '/tasks/next?waitSeconds=5', credential)).body.task;
    const c = await api.gql(
      `mutation($id: ID!) { cancelOperation(id: $id) { status error } }`,
      { id: opId },
      key,
    );
    assert.equal(c.data!.cancelOperation.status, 'CANCELLED');
    const ev = await agentCall('POST', `/tasks/${task.id}/events`, credential, {
      taskId: task.id,
      step: 'crds',
      status: 'started',
      at: new Date().toISOString(),
    });
    assert.equal(ev.status, 409);
    const again = await api.gql(
      `mutation($id: ID!) { cancelOperation(id: $id) { status } }`,
      { id: opId },
      key,
    );
    assert.equal(errorCode(again), 'FAILED_PRECONDITION');
    const next = await api.gql(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      { c: id, d: domainId },
      key,
    );
    assert.equal(next.errors, undefined, 'the lock was released');
  });

  it('survives a Redis flush: the reconciler re-dispatches from Postgres', async () => {
    const { id, credential } = await enrolledCluster('flush-1', { installed: false, version: null });
    const prisma = api.app.get(PrismaService);
    // An operation that Postgres knows about but whose job never reached Redis.
    const created = await prisma.operation.create({
      data: {
        organizationId: (await prisma.cluster.findUniqueOrThrow({ where: { id } })).organizationId,
        clusterId: id,
        kind: 'RESTART_DATA_PLANE',
        params: { namespaces: [] },
        requestedBy: 'test',
        deadlineAt: new Date(Date.now() + 60_000),
      },
    });
    await prisma.clusterOperationLock.create({ data: { clusterId: id, operationId: created.id } });
    const poll = await agentCall('GET', '/tasks/next?waitSeconds=5', credential);
    if (!poll.body.task) {
      const again = await until(
        () => agentCall('GET', '/tasks/next?waitSeconds=2', credential),
        (p) => p.body.task !== null,
        20_000,
      );
      assert.equal(again.body.task.kind, 'RESTART_DATA_PLANE');
    } else assert.equal(poll.body.task.kind, 'RESTART_DATA_PLANE');
    assert.equal((await op(created.id)).status, 'DISPATCHED');
  });
});

describe('operation subscriptions', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startApi({ MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    ({ apiKey: key } = await api.newOrg('subs'));
  });
  after(() => api.close());

  it('streams operation changes over graphql-ws to an authenticated subscriber of the cluster', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const { id: clusterId } = await registerAndEnroll(api, key, { name: 'sub-1', provider: 'GKE' });
    const client = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    const received: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($c: ID!) { operationUpdated(clusterId: $c) { id kind status } }`,
          variables: { c: clusterId },
        },
        {
          next: (m) => {
            if (m.errors) return reject(new Error(JSON.stringify(m.errors)));
            received.push(m.data!.operationUpdated);
            if (received.length >= 2) resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    const op = await api.gql(
      `mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`,
      { c: clusterId },
      key,
    );
    assert.equal(op.errors, undefined, JSON.stringify(op.errors));
    const c = await api.gql(
      `mutation($id: ID!) { cancelOperation(id: $id) { status } }`,
      { id: op.data!.restartDataPlane.id },
      key,
    );
    assert.equal(c.data!.cancelOperation.status, 'CANCELLED');
    await Promise.race([
      done,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`only got ${JSON.stringify(received)}`)), 5000)),
    ]);
    assert.equal(received[0].kind, 'RESTART_DATA_PLANE');
    assert.ok(
      received.some((o) => o.status === 'CANCELLED'),
      JSON.stringify(received),
    );

    const anon = createClient({ url: `${api.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket });
    const denied = await new Promise<string>((resolve) => {
      anon.subscribe(
        {
          query: `subscription($c: ID!) { operationUpdated(clusterId: $c) { id } }`,
          variables: { c: clusterId },
        },
        {
          next: (m) => resolve(JSON.stringify(m.errors ?? m.data)),
          error: (e) => resolve(JSON.stringify(e)),
          complete: () => resolve('complete'),
        },
      );
    });
    assert.match(denied, /UNAUTHENTICATED|Authentication required/);
    await client.dispose();
    await anon.dispose();
  });
});

describe('operation attempts and leases', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  const env = { MESHFLEET_OPERATION_LEASE_SECONDS: '2', MESHFLEET_OPERATION_MAX_ATTEMPTS: '2' };

  const agentCall = (method: string, path: string, credential: string, body?: unknown) =>
    agentHttp(api, method, path, credential, body);
  const op = async (id: string) =>
    (await api.gql(`query($id: ID!) { operation(id: $id) { status attempt error } }`, { id }, key)).data!
      .operation;
  const until = <T>(fn: () => Promise<T>, ok: (v: T) => boolean) => eventually(fn, ok, 20_000);
  const cluster = (name: string) => registerAndEnroll(api, key, { name });
  const at = () => new Date().toISOString();

  before(async () => {
    api = await startApi({
      ...env,
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
    });
    ({ apiKey: key } = await api.newOrg('attempts'));
    worker = await startWorkerFor(api, env);
  });
  after(async () => {
    await worker?.close();
    await api.close();
  });

  it('retries a transient failure with a new attempt of the same task', async () => {
    const c = await cluster('retry-1');
    const r = await api.gql(`mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`, { c: c.id }, key);
    const id = r.data!.restartDataPlane.id;
    const first = (await agentCall('GET', '/tasks/next?waitSeconds=5', c.credential)).body.task;
    assert.equal(first.attempt, 1);
    await agentCall('POST', `/tasks/${first.id}/result`, c.credential, {
      taskId: first.id,
      status: 'failed',
      finishedAt: at(),
      error: { code: 'APPLY_FAILED', message: 'API server said 503' },
    });
    const second = (await agentCall('GET', '/tasks/next?waitSeconds=5', c.credential)).body.task;
    assert.equal(second.attempt, 2);
    assert.equal(second.kind, first.kind);
    assert.deepEqual(second.params, first.params);
    assert.equal((await op(id)).attempt, 2);
    await agentCall('POST', `/tasks/${second.id}/result`, c.credential, {
      taskId: second.id,
      status: 'succeeded',
      finishedAt: at(),
      output: {
        kind: 'LIFECYCLE',
        controlPlaneVersion: null,
        postcheck: { errors: 0, warnings: 0, summary: 'ok' },
      },
    });
    const done = await until(
      () => op(id),
      (o) => o.status === 'SUCCEEDED',
    );
    assert.equal(done.attempt, 2);
    assert.equal(done.error, null);
  });

  it('does not retry a failure that is not transient', async () => {
    const c = await cluster('noretry-1');
    const id = (
      await api.gql(`mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`, { c: c.id }, key)
    ).data!.restartDataPlane.id;
    const task = (await agentCall('GET', '/tasks/next?waitSeconds=5', c.credential)).body.task;
    await agentCall('POST', `/tasks/${task.id}/result`, c.credential, {
      taskId: task.id,
      status: 'failed',
      finishedAt: at(),
      error: { code: 'PRECHECK_FAILED', message: 'another mesh is installed' },
    });
    const done = await until(
      () => op(id),
      (o) => o.status === 'FAILED',
    );
    assert.equal(done.attempt, 1);
    assert.equal(done.error.code, 'PRECHECK_FAILED');
  });

  it('resumes when the agent dies mid-task (lease), and ends TIMED_OUT when attempts run out — never stuck', async () => {
    const c = await cluster('lease-1');
    const id = (
      await api.gql(`mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`, { c: c.id }, key)
    ).data!.restartDataPlane.id;
    const first = (await agentCall('GET', '/tasks/next?waitSeconds=5', c.credential)).body.task;
    await agentCall('POST', `/tasks/${first.id}/events`, c.credential, {
      taskId: first.id,
      step: 'data-plane-restart',
      status: 'started',
      at: at(),
    });
    // The agent is killed here: no more events. The lease (2 s) runs out and a second attempt is dispatched.
    const second = await until(
      () => agentCall('GET', '/tasks/next?waitSeconds=2', c.credential),
      (p) => p.body.task !== null,
    );
    assert.equal(second.body.task.attempt, 2);
    const stale = await agentCall('POST', `/tasks/${first.id}/events`, c.credential, {
      taskId: first.id,
      step: 'data-plane-restart',
      status: 'progress',
      at: at(),
    });
    assert.equal(stale.status, 409, 'the dead attempt is told to stop');
    await agentCall('POST', `/tasks/${second.body.task.id}/events`, c.credential, {
      taskId: second.body.task.id,
      step: 'data-plane-restart',
      status: 'started',
      at: at(),
    });
    // Dies again: attempts are exhausted (2), so the operation ends TIMED_OUT with the reason.
    const done = await until(
      () => op(id),
      (o) => o.status === 'TIMED_OUT',
    );
    assert.equal(done.error.code, 'LEASE_EXPIRED');
    const next = await api.gql(
      `mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`,
      { c: c.id },
      key,
    );
    assert.equal(next.errors, undefined, 'the cluster is free again');
  });
});
