// The standalone CLI: serves the demo scenario, writes kubeconfigs, prints one ready line, stops on SIGTERM.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';

const root = resolve(__dirname, '../../../..');
const cli = join(root, 'libs/kube-sim/dist/src/cli.js');
const demo = join(root, 'libs/kube-sim/scenarios/demo.yaml');

describe('kube-sim CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-cli-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the demo scenario, writes kubeconfigs and exits cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [cli, '--scenario', demo, '--port', '0', '--kubeconfig-dir', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolveLine, reject) => {
      const rl = createInterface({ input: child!.stdout! });
      rl.once('line', resolveLine);
      child!.once('exit', (code) => reject(new Error(`cli exited early with ${code}`)));
    });
    const ready = JSON.parse(line) as {
      ready: boolean;
      clusters: Array<{ name: string; kubeconfig: string }>;
    };
    assert.equal(ready.ready, true);
    assert.ok(ready.clusters.length >= 4);
    for (const c of ready.clusters) assert.ok(existsSync(join(dir, `${c.name}.kubeconfig`)), c.name);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(ready.clusters[0]!.kubeconfig);
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
    assert.ok(nodes.items.length > 0);
    const exit = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    child = undefined;
  });
});
