// The production wiring of lifecycle tasks: TaskRunner → gateway client → an HTTP API that speaks
// the agent gateway contract (releases, issuer-csr, events, result), on a real simulated cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simulatedReleaseBundles } from '@meshfleet/linkerd';
import type { Simulator } from '@meshfleet/kube-sim';
import { initialState } from '../src/agent-state';
import type { CredentialManager } from '../src/credentials/credential-manager';
import { GatewayClient } from '../src/gateway-client/gateway-client';
import { KubeAccess } from '../src/kube/kube-access';
import type { LoopContext } from '../src/loops/loop-context';
import { AgentMetrics } from '../src/observability/agent-metrics';
import { TaskRunner } from '../src/tasks/task-runner';
import { installTask, releaseRef, uninstallTask } from './lifecycle-fixture';
import { quietLog, startSim } from './sim-fixture';

interface Recorded {
  method: string;
  path: string;
  body: unknown;
}

describe('lifecycle tasks through the task runner and the gateway', () => {
  let sim: Simulator;
  let server: Server;
  let kube: KubeAccess;
  let runner: TaskRunner;
  const calls: Recorded[] = [];
  const abort = new AbortController();

  before(async () => {
    sim = await startSim();
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        calls.push({ method: req.method ?? '', path, body: raw ? JSON.parse(raw) : null });
        const m = /^\/agent\/v1\/releases\/([^/]+)\/([^/]+)$/.exec(path);
        let body: unknown = {};
        if (m) {
          // A catalog whose control-plane bundle is not what the task ordered.
          const b = simulatedReleaseBundles(decodeURIComponent(m[1]!), m[2] as 'default');
          const other = simulatedReleaseBundles('enterprise-2.20.0', 'default');
          body = {
            version: m[1],
            variant: m[2],
            simulated: true,
            crds: b.crds,
            controlPlane: other.controlPlane,
          };
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    kube = new KubeAccess(
      { kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('bare'), linkerdNamespaces: ['linkerd'] },
      quietLog,
    );
    const ctx: LoopContext = {
      gateway: new GatewayClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
      credentials: { get: async () => 'mfa_test', reject: () => undefined } as unknown as CredentialManager,
      state: initialState(),
      metrics: new AgentMetrics(),
      log: quietLog,
      signal: abort.signal,
    };
    runner = new TaskRunner(ctx, { kube, scrapeTimeoutMs: 1000 });
  });
  after(async () => {
    abort.abort();
    await new Promise<void>((r) => server.close(() => r()));
    await sim.close();
  });

  it('reports DIGEST_MISMATCH as a failed result after a failed precheck event', async () => {
    const result = await runner.run(installTask('rt-1', releaseRef('enterprise-2.19.1')));
    assert.equal(result.status, 'failed');
    assert.equal(result.status === 'failed' && result.error.code, 'DIGEST_MISMATCH');
    const paths = calls.map((c) => `${c.method} ${c.path}`);
    assert.ok(paths.includes('GET /agent/v1/releases/enterprise-2.19.1/default'));
    const events = calls.filter((c) => c.path === '/agent/v1/tasks/rt-1/events').map((c) => c.body);
    assert.deepEqual(
      events.map((e) => [(e as { step: string }).step, (e as { status: string }).status]),
      [
        ['precheck', 'started'],
        ['precheck', 'failed'],
      ],
    );
    const res = calls.find((c) => c.path === '/agent/v1/tasks/rt-1/result');
    assert.equal((res?.body as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
  });

  it('delivers a LIFECYCLE output for an uninstall with nothing to remove', async () => {
    const result = await runner.run(uninstallTask('rt-2', false));
    assert.equal(result.status, 'succeeded');
    const out = result.status === 'succeeded' ? result.output : undefined;
    assert.equal(out?.kind, 'LIFECYCLE');
    assert.ok(calls.some((c) => c.path === '/agent/v1/tasks/rt-2/result'));
  });
});
