// meshNamespaces / unmeshNamespaces through the real API and worker, with this test playing the
// agent over HTTP: the envelope the agent claims, every refusal (nothing written), the batch steps
// streamed on operationUpdated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { MeshNamespacesParamsSchema } from '@meshfleet/agent-protocol';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, eventually, linkerdReport, registerAndEnroll } from './agent-http';

const VERSION = 'enterprise-2.19.1';

/** A report with `shop` fully meshed (the example) and `legacy` not meshed at all. */
function adoptionReport(opts: { installed?: boolean } = {}): any {
  const r = linkerdReport(opts.installed === false ? null : VERSION, { installed: opts.installed ?? true });
  const workload = (name: string, pods: number) => ({
    kind: 'Deployment',
    name,
    injection: 'unset',
    totalPods: pods,
    meshedPods: 0,
    proxyVersions: [],
  });
  r.mtls.namespaces.push({
    name: 'legacy',
    injection: 'unset',
    totalPods: 3,
    meshedPods: 0,
    workloads: [workload('billing', 2), workload('ledger-db', 1)],
    proxyVersions: [],
    staleTrustBundlePods: 0,
  });
  r.mtls.totalPods = 7;
  r.mtls.meshedPods = 4;
  r.mtls.podCoverage = 4 / 7;
  return r;
}

describe('mesh adoption mutations', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let prisma: PrismaService;

  const MESH = `mutation($i: MeshNamespacesInput!) { meshNamespaces(input: $i) { id kind status params } }`;
  const UNMESH = `mutation($i: MeshNamespacesInput!) { unmeshNamespaces(input: $i) { id kind status params } }`;
  const written = async (clusterId: string) => ({
    operations: await prisma.operation.count({ where: { clusterId } }),
    locks: await prisma.clusterOperationLock.count({ where: { clusterId } }),
    audit: await prisma.auditEvent.count({
      where: { targetId: clusterId, action: { startsWith: 'operation.' } },
    }),
  });
  const reporting = async (name: string, report: any = adoptionReport()) => {
    const c = await registerAndEnroll(api, key, { name, kubernetesVersion: 'v1.31.4' });
    if (report) assert.equal((await agentCall(api, 'POST', '/reports', c.credential, report)).status, 202);
    return c;
  };
  const claim = async (credential: string) => {
    const poll = await agentCall(api, 'GET', '/tasks/next?waitSeconds=5', credential);
    assert.equal(poll.status, 200, JSON.stringify(poll.body));
    return poll.body.task;
  };
  const finish = (credential: string, taskId: string) =>
    agentCall(api, 'POST', `/tasks/${taskId}/result`, credential, {
      taskId,
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      output: {
        kind: 'LIFECYCLE',
        controlPlaneVersion: VERSION,
        postcheck: { errors: 0, warnings: 0, summary: 'ok' },
      },
    });

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
    });
    ({ apiKey: key } = await api.newOrg('mesh'));
    worker = await startWorkerFor(api, {
      MESHFLEET_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')}`,
    });
    prisma = api.app.get(PrismaService);
  });
  after(async () => {
    await worker?.close();
    await api.close();
  });

  it('creates a MESH_NAMESPACES operation whose task carries the params, audited', async () => {
    const c = await reporting('mesh-1');
    const r = await api.gql(
      MESH,
      {
        i: {
          clusterId: c.id,
          namespaces: ['legacy'],
          workloads: [
            { namespace: 'legacy', kind: 'Deployment', name: 'billing' },
            { namespace: 'legacy', kind: 'Deployment', name: 'ledger-db', opaquePorts: [5432, 5432] },
          ],
          batchSize: 2,
          batchTimeoutSeconds: 120,
        },
      },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const op = r.data!.meshNamespaces;
    assert.equal(op.kind, 'MESH_NAMESPACES');
    assert.equal(op.params.rollbackOnFailure, true);
    const task = await claim(c.credential);
    assert.equal(task.kind, 'MESH_NAMESPACES');
    assert.deepEqual(task.params, {
      operationId: op.id,
      controlPlaneNamespace: 'linkerd',
      namespaces: ['legacy'],
      workloads: [
        { namespace: 'legacy', kind: 'Deployment', name: 'billing', opaquePorts: [] },
        { namespace: 'legacy', kind: 'Deployment', name: 'ledger-db', opaquePorts: [5432] },
      ],
      batchSize: 2,
      rollbackOnFailure: true,
      batchTimeoutSeconds: 120,
    });
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { targetId: c.id, action: 'operation.mesh_namespaces' },
    });
    assert.equal((audit.metadata as any).operationId, op.id);
    assert.equal(await prisma.clusterOperationLock.count({ where: { clusterId: c.id } }), 1);

    // The cluster lock: a second adoption waits for this one to end.
    const busy = await api.gql(MESH, { i: { clusterId: c.id, namespaces: ['shop'] } }, key);
    assert.equal(errorCode(busy), 'CONFLICT', JSON.stringify(busy.errors));
    assert.equal((await finish(c.credential, task.id)).status, 204);
    await eventually(
      async () => (await prisma.operation.findUniqueOrThrow({ where: { id: op.id } })).status,
      (s) => s === 'SUCCEEDED',
    );
  });

  it('creates UNMESH_NAMESPACES with the same params schema (namespace-wide by default)', async () => {
    const c = await reporting('unmesh-1');
    const r = await api.gql(
      UNMESH,
      { i: { clusterId: c.id, namespaces: ['shop'], rollbackOnFailure: false } },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const task = await claim(c.credential);
    assert.equal(task.kind, 'UNMESH_NAMESPACES');
    assert.deepEqual(
      {
        namespaces: task.params.namespaces,
        workloads: task.params.workloads,
        batchSize: task.params.batchSize,
      },
      { namespaces: ['shop'], workloads: [], batchSize: 1 },
    );
    assert.equal(task.params.rollbackOnFailure, false);
    // The envelope leaves the timeout out; the agent's params schema fills its default.
    assert.equal(MeshNamespacesParamsSchema.parse(task.params).batchTimeoutSeconds, 300);
    assert.ok(
      await prisma.auditEvent.count({ where: { targetId: c.id, action: 'operation.unmesh_namespaces' } }),
    );
  });

  it('refuses bad input with a code and reason, and writes nothing', async () => {
    const c = await reporting('refuse-1');
    const cases: Array<[string, Record<string, unknown>, string, string, RegExp]> = [
      [
        'unknown namespace',
        { namespaces: ['nope'] },
        'BAD_USER_INPUT',
        'UNKNOWN_NAMESPACE',
        /nope .*latest report/,
      ],
      [
        'kube-system',
        { namespaces: ['kube-system'] },
        'BAD_USER_INPUT',
        'SYSTEM_NAMESPACE',
        /system namespace/,
      ],
      [
        'kube-public',
        { namespaces: ['legacy', 'kube-public'] },
        'BAD_USER_INPUT',
        'SYSTEM_NAMESPACE',
        /kube-public/,
      ],
      [
        'kube-node-lease',
        { namespaces: ['kube-node-lease'] },
        'BAD_USER_INPUT',
        'SYSTEM_NAMESPACE',
        /kube-node-lease/,
      ],
      [
        'control plane',
        { namespaces: ['linkerd'] },
        'BAD_USER_INPUT',
        'CONTROL_PLANE_NAMESPACE',
        /control-plane/,
      ],
      ['extension', { namespaces: ['linkerd-viz'] }, 'BAD_USER_INPUT', 'EXTENSION_NAMESPACE', /extension/],
      ['duplicate namespace', { namespaces: ['legacy', 'legacy'] }, 'BAD_USER_INPUT', 'DUPLICATE', /twice/],
      ['no namespaces', { namespaces: [] }, 'BAD_USER_INPUT', 'OUT_OF_RANGE', /1 to 100/],
      ['bad name', { namespaces: ['Legacy!'] }, 'BAD_USER_INPUT', 'INVALID_NAME', /not a namespace name/],
      [
        'batchSize 0',
        { namespaces: ['legacy'], batchSize: 0 },
        'BAD_USER_INPUT',
        'OUT_OF_RANGE',
        /batchSize/,
      ],
      [
        'batchSize 101',
        { namespaces: ['legacy'], batchSize: 101 },
        'BAD_USER_INPUT',
        'OUT_OF_RANGE',
        /batchSize/,
      ],
      [
        'timeout 5',
        { namespaces: ['legacy'], batchTimeoutSeconds: 5 },
        'BAD_USER_INPUT',
        'OUT_OF_RANGE',
        /batchTimeout/,
      ],
      [
        'workload outside the namespaces',
        { namespaces: ['legacy'], workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'web' }] },
        'BAD_USER_INPUT',
        'WORKLOAD_OUTSIDE_NAMESPACES',
        /not in the listed namespaces/,
      ],
      [
        'unknown workload',
        {
          namespaces: ['legacy'],
          workloads: [{ namespace: 'legacy', kind: 'StatefulSet', name: 'billing' }],
        },
        'BAD_USER_INPUT',
        'UNKNOWN_WORKLOAD',
        /StatefulSet\/billing is not in namespace legacy/,
      ],
      [
        'duplicate workload',
        {
          namespaces: ['legacy'],
          workloads: [
            { namespace: 'legacy', kind: 'Deployment', name: 'billing' },
            { namespace: 'legacy', kind: 'Deployment', name: 'billing' },
          ],
        },
        'BAD_USER_INPUT',
        'DUPLICATE',
        /twice/,
      ],
      [
        'opaque port out of range',
        {
          namespaces: ['legacy'],
          workloads: [{ namespace: 'legacy', kind: 'Deployment', name: 'billing', opaquePorts: [70000] }],
        },
        'BAD_USER_INPUT',
        'OUT_OF_RANGE',
        /opaquePorts/,
      ],
    ];
    for (const [label, input, code, reason, message] of cases)
      for (const m of [MESH, UNMESH]) {
        const r = await api.gql(m, { i: { clusterId: c.id, ...input } }, key);
        assert.equal(errorCode(r), code, `${label}: ${JSON.stringify(r.errors)}`);
        assert.equal(r.errors![0]!.extensions!['reason'], reason, label);
        assert.match(r.errors![0]!.message, message, label);
      }
    assert.deepEqual(await written(c.id), { operations: 0, locks: 0, audit: 0 });
  });

  it('refuses a cluster without a report, without Linkerd, or in MONITOR mode, writing nothing', async () => {
    const silent = await reporting('silent-1', null);
    const noLinkerd = await reporting('bare-1', adoptionReport({ installed: false }));
    const reg = await api.gql(
      `mutation { registerCluster(input: { name: "monitor-mesh", provider: EKS, mode: MONITOR }) { cluster { id } } }`,
      {},
      key,
    );
    assert.equal(reg.errors, undefined, JSON.stringify(reg.errors));
    const monitorId = reg.data!.registerCluster.cluster.id;
    const expect: Array<[string, string, RegExp]> = [
      [silent.id, 'NO_REPORT', /has not reported yet/],
      [noLinkerd.id, 'NOT_INSTALLED', /Linkerd is not installed/],
      [monitorId, 'CLUSTER_MONITOR_ONLY', /MONITOR mode/],
    ];
    for (const [clusterId, reason, message] of expect)
      for (const m of [MESH, UNMESH]) {
        const r = await api.gql(m, { i: { clusterId, namespaces: ['legacy'] } }, key);
        assert.equal(errorCode(r), 'FAILED_PRECONDITION', `${reason}: ${JSON.stringify(r.errors)}`);
        assert.equal(r.errors![0]!.extensions!['reason'], reason);
        assert.match(r.errors![0]!.message, message);
        assert.deepEqual(await written(clusterId), { operations: 0, locks: 0, audit: 0 }, reason);
      }
  });

  it('needs EDITOR: a VIEWER key is refused', async () => {
    const c = await reporting('viewer-1');
    const viewer = (
      await api.gql(`mutation { createApiKey(input: { name: "ro", role: VIEWER }) { secret } }`, {}, key)
    ).data!.createApiKey.secret;
    const r = await api.gql(MESH, { i: { clusterId: c.id, namespaces: ['legacy'] } }, viewer);
    assert.equal(errorCode(r), 'FORBIDDEN', JSON.stringify(r.errors));
    assert.deepEqual(await written(c.id), { operations: 0, locks: 0, audit: 0 });
  });

  it('streams annotate, one step per batch, and postcheck on operationUpdated', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const c = await reporting('stream-1');
    const r = await api.gql(MESH, { i: { clusterId: c.id, namespaces: ['legacy'] } }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const opId = r.data!.meshNamespaces.id;
    const client = createClient({
      url: `${api.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
    });
    const seen: any[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($o: ID!) { operationUpdated(operationId: $o) { status steps { step status message } } }`,
          variables: { o: opId },
        },
        {
          next: (m) => {
            if (m.errors) return reject(new Error(JSON.stringify(m.errors)));
            const o = (m.data as any).operationUpdated;
            seen.push(o);
            if (o.status === 'SUCCEEDED') resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    await new Promise((res) => setTimeout(res, 300));
    const task = await claim(c.credential);
    const step = (s: string, status: string, message: string) =>
      agentCall(api, 'POST', `/tasks/${task.id}/events`, c.credential, {
        taskId: task.id,
        step: s,
        status,
        message,
        at: new Date().toISOString(),
      });
    assert.equal(
      (await step('annotate', 'succeeded', 'namespace legacy: linkerd.io/inject=enabled')).status,
      204,
    );
    assert.equal((await step('batch', 'succeeded', 'batch 1/2: Deployment/billing')).status, 204);
    assert.equal((await step('batch', 'succeeded', 'batch 2/2: Deployment/ledger-db')).status, 204);
    assert.equal((await step('postcheck', 'succeeded', 'linkerd check --proxy: 0 errors')).status, 204);
    assert.equal((await finish(c.credential, task.id)).status, 204);
    await Promise.race([
      finished,
      new Promise((_, rej) => setTimeout(() => rej(new Error(`only got ${JSON.stringify(seen)}`)), 10_000)),
    ]);
    await client.dispose();
    const last = seen.at(-1);
    assert.deepEqual(
      last.steps.map((s: any) => `${s.step}:${s.message}`),
      [
        'annotate:namespace legacy: linkerd.io/inject=enabled',
        'batch:batch 1/2: Deployment/billing',
        'batch:batch 2/2: Deployment/ledger-db',
        'postcheck:linkerd check --proxy: 0 errors',
      ],
    );
    // Updates arrived while it ran, not only at the end.
    assert.ok(
      seen.some((o) => o.status === 'RUNNING' && o.steps.length < 4),
      JSON.stringify(seen),
    );
  });
});
