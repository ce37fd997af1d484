// Early health reports end to end: a real agent on the simulator against the real API process,
// with a report interval (300 s) and a spacing of ordinary change reports (120 s) far longer than
// the test. A fault that alters the health verdict must reach the API within seconds anyway; a
// change that does not (a pod outside the control plane) must not trigger a report; a crash-looping
// pod must not flood the API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Simulator } from '@meshfleet/kube-sim';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  type ApiProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '../src';
import { eventually, quietLog, startSim } from './sim-fixture';

const REPORT_INTERVAL_S = 300;
const HEALTH = `query($id: ID!) { cluster(id: $id) {
  health { status categories { name checks { description result } } } } }`;
type Category = { name: string; checks: { description: string; result: string }[] };

describe('early health reports', () => {
  let sim: Simulator;
  let db: TestDatabase;
  let api: ApiProcess;
  let agent: RunningAgent | undefined;
  let clusterId: string;
  let adminKey: string;

  const checkResult = async (category: string, description: RegExp) => {
    const r = await gql<Record<string, any>>(api.url, HEALTH, { id: clusterId }, adminKey);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const cats = r.data!.cluster.health.categories as Category[];
    return cats.find((c) => c.name === category)?.checks.find((k) => description.test(k.description))?.result;
  };
  /** POST to the simulator's fault API (HTTPS with its own CA). */
  const fault = (body: unknown) =>
    new Promise<void>((resolve, reject) => {
      const req = https.request(
        `${sim.url}/_sim/clusters/meshed/faults`,
        { method: 'POST', ca: sim.caCertificate, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve()
              : reject(
                  new Error(`fault API answered ${res.statusCode}: ${Buffer.concat(chunks).toString()}`),
                ),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  /** Waits until the agent has sent nothing for `quietMs`. */
  const settled = async (quietMs: number) => {
    let last = agent!.state.reportsSent;
    let since = Date.now();
    await eventually(
      () => {
        if (agent!.state.reportsSent !== last) {
          last = agent!.state.reportsSent;
          since = Date.now();
        }
        return Date.now() - since >= quietMs;
      },
      (quiet) => quiet,
      20_000,
      'no report for a while',
    );
  };

  before(async () => {
    sim = await startSim();
    db = await createTestDatabase();
    const p = processEnv({ db, extra: { MESHFLEET_REPORT_INTERVAL_SECONDS: String(REPORT_INTERVAL_S) } });
    adminKey = p.adminKey;
    api = await startApiProcess(p.env);
    const reg = await gql<Record<string, any>>(
      api.url,
      `mutation { registerCluster(input: { name: "meshed", provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
      {},
      adminKey,
    );
    clusterId = reg.data!.registerCluster.cluster.id;
    agent = await startAgent(
      {
        ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
        apiUrl: api.url,
        kubeconfigYaml: sim.kubeconfigFor('meshed'),
        bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
        stateFile: join(await mkdtemp(join(tmpdir(), 'mf-early-')), 'state.json'),
        reportDebounceMs: 200,
        earlyReport: { debounceMs: 200, minSpacingMs: 500, burst: 3, refillMs: 4000 },
      },
      { logger: quietLog, reportMinSpacingMs: 120_000 },
    );
    await agent.ready();
  });

  after(async () => {
    await agent?.stop();
    await api?.stop();
    await db?.drop();
    await sim?.close();
  });

  it('reports an expired issuer and a crash-looping control plane within seconds, not a report interval', async () => {
    await eventually(
      () => checkResult('linkerd-existence', /control plane pods are ready/),
      (r) => r === 'SUCCESS',
      20_000,
      'a healthy control plane reported',
    );
    assert.equal(agent!.state.intervals.reportSeconds, REPORT_INTERVAL_S);
    await settled(1500);

    // A change that does not touch the verdict: informers see it, no report goes out.
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfigFor('meshed'));
    const sent = agent!.state.reportsSent;
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'bystander' },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(agent!.state.reportsSent, sent, 'no report for a pod outside the control plane');

    const early = agent!.state.earlyReportsSent;
    let t0 = Date.now();
    await fault({ kind: 'expireIssuer' });
    await eventually(
      () => checkResult('linkerd-identity', /issuer cert is within its validity period/),
      (r) => r === 'ERROR',
      10_000,
      'the expired issuer reported',
    );
    const issuerMs = Date.now() - t0;
    assert.ok(issuerMs < 3000, `expired issuer in the API ${issuerMs} ms after the fault`);

    t0 = Date.now();
    await fault({
      kind: 'crashPods',
      namespace: 'linkerd',
      labels: { 'linkerd.io/control-plane-component': 'destination' },
    });
    await eventually(
      () => checkResult('linkerd-existence', /control plane pods are ready/),
      (r) => r === 'ERROR',
      10_000,
      'the crash loop reported',
    );
    const crashMs = Date.now() - t0;
    assert.ok(crashMs < 3000, `crash loop in the API ${crashMs} ms after the fault`);
    assert.ok(agent!.state.earlyReportsSent >= early + 2, 'both went as early reports');

    // The pod keeps restarting (every second in the simulator): early reports do not follow it
    // (a budget of 3, one back per 4 s, two spent above), and none is refused by the API.
    const before = agent!.state.earlyReportsSent;
    await new Promise((r) => setTimeout(r, 6000));
    const during = agent!.state.earlyReportsSent - before;
    assert.ok(during >= 1, 'restarts change the verdict inputs: still reported');
    assert.ok(during <= 3, `${during} early reports in 6 s of a crash loop (restarts every second)`);
    assert.equal(agent!.state.lastReport?.accepted, true);
    const metrics = await (await fetch(`${agent!.url}/metrics`)).text();
    assert.match(metrics, /meshfleet_agent_reports_failed_total 0/);
    assert.match(metrics, /meshfleet_agent_early_reports_total [1-9]/);
  });
});
