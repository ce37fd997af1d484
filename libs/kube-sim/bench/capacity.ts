// Capacity benchmark: N clusters of the demo's size in one process, then RSS and the time a
// watch takes to see a change. Usage (after `npx tsc -b libs/kube-sim`):
//   node libs/kube-sim/dist/bench/capacity.js [clusters=100]
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { loadScenario, startSimulator, type ClusterHandle, type Simulator } from '../src';

const count = Number(process.argv[2] ?? 100);
const demo = loadScenario(join(resolve(__dirname, '../../../..'), 'libs/kube-sim/scenarios/demo.yaml'));

function watchOnce(sim: Simulator, c: ClusterHandle, name: string, onOpen: () => void): Promise<number> {
  return new Promise((resolveLatency, reject) => {
    let started = 0;
    const req = request(
      `${c.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${c.model.store.resourceVersion}`,
      { ca: sim.caCertificate, headers: { Authorization: `Bearer ${c.token}` } },
      (res) => {
        let buf = '';
        res.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          if (buf.includes(`"name":"${name}"`)) {
            resolveLatency(performance.now() - started);
            req.destroy();
          }
        });
        started = performance.now();
        onOpen();
      },
    );
    req.on('error', (e) => (started ? undefined : reject(e)));
    req.end();
  });
}

async function main(): Promise<void> {
  const base = process.memoryUsage().rss;
  const t0 = performance.now();
  const clusters = Array.from({ length: count }, (_, i) => ({
    ...demo.clusters[i % demo.clusters.length]!,
    name: `c${i}-${demo.clusters[i % demo.clusters.length]!.name}`.slice(0, 60),
  }));
  const sim = await startSimulator({ scenario: { defaults: demo.defaults, clusters } });
  const built = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  global.gc?.();
  const rss = process.memoryUsage().rss;
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const c = sim.cluster(sim.clusters[i % sim.clusters.length]!);
    const name = `bench-${i}`;
    latencies.push(
      await watchOnce(sim, c, name, () => {
        c.model.ensure({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } });
      }),
    );
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
  const pods = sim.clusters.reduce((n, name) => n + sim.cluster(name).model.store.list('/pods').length, 0);
  console.log(
    JSON.stringify({
      clusters: count,
      pods,
      buildSeconds: +(built / 1000).toFixed(1),
      rssMiB: Math.round(rss / 2 ** 20),
      rssPerClusterMiB: +((rss - base) / 2 ** 20 / count).toFixed(2),
      projectedRssFor1000MiB: Math.round((base + ((rss - base) / count) * 1000) / 2 ** 20),
      watchLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: latencies[latencies.length - 1]!.toFixed(2) },
    }),
  );
  await sim.close();
}

void main();
