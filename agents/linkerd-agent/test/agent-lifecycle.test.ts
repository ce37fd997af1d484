import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@meshfleet/kube-sim';
import { loadAgentConfig, startAgent } from '../src';
import { eventually, quietLog, startSim } from './sim-fixture';

/** A port nobody listens on: the API is "down". */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('agent lifecycle without a reachable API', () => {
  let sim: Simulator;
  let apiUrl: string;

  before(async () => {
    sim = await startSim();
    apiUrl = `http://127.0.0.1:${await closedPort()}`;
  });
  after(() => sim.close());

  it('syncs, keeps retrying enrollment, reports 503 on /healthz, serves /metrics and stops promptly', async () => {
    const config = {
      ...loadAgentConfig({
        MESHFLEET_API_URL: apiUrl,
        MESHFLEET_BOOTSTRAP_TOKEN: 'mfb_test_token_0123456789',
        MESHFLEET_AGENT_PORT: '0',
        MESHFLEET_AGENT_HOST: '127.0.0.1',
      }),
      kubeconfigYaml: sim.kubeconfigFor('meshed'),
    };
    const agent = await startAgent(config, { logger: quietLog });
    await eventually(
      () => agent.state.phase,
      (p) => p === 'enrolling',
      10_000,
      'enrolling phase',
    );
    assert.equal(agent.state.informersSynced, true);
    assert.equal(agent.state.enrolled, false);

    const health = await fetch(`${agent.url}/healthz`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { phase: string }).phase, 'enrolling');
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    assert.match(metrics, /meshfleet_agent_informers_synced 1/);
    assert.match(metrics, /meshfleet_agent_heartbeats_sent_total 0/);

    const t0 = Date.now();
    await agent.stop();
    assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
    assert.equal(agent.state.phase, 'stopped');
    await assert.rejects(fetch(`${agent.url}/healthz`));
  });

  it('the binary exits 0 on SIGTERM and 2 on an invalid setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mf-agent-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, sim.kubeconfigFor('meshed'));
    const main = join(__dirname, '..', 'src', 'main.js');
    const env = {
      PATH: process.env.PATH ?? '',
      KUBECONFIG: kubeconfig,
      MESHFLEET_API_URL: apiUrl,
      MESHFLEET_BOOTSTRAP_TOKEN: 'mfb_test_token_0123456789',
      MESHFLEET_AGENT_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(
      () => out,
      (o) => o.includes('informers synced'),
      15_000,
      'agent log',
    );
    assert.ok(!out.includes('mfb_test_token_0123456789'), 'the bootstrap token never reaches the log');
    child.kill('SIGTERM');
    const [code] = (await Promise.race([
      once(child, 'exit'),
      new Promise((_, rej) => setTimeout(() => rej(new Error('no exit within 10 s')), 10_000).unref()),
    ])) as [number | null];
    assert.equal(code, 0);

    const bad = spawn(process.execPath, [main], {
      env: { ...env, MESHFLEET_AGENT_PORT: 'x' },
      stdio: 'pipe',
    });
    let err = '';
    bad.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const [badCode] = (await once(bad, 'exit')) as [number | null];
    assert.equal(badCode, 2);
    assert.match(err, /MESHFLEET_AGENT_PORT/);
  });
});
