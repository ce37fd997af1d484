// `npm run --silent kube-sim -- --scenario <file> --port <port> --kubeconfig-dir <dir>`
// Serves the scenario's clusters, writes one kubeconfig per cluster, prints one JSON ready
// line and runs until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startSimulator } from './server/simulator';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'kubeconfig-dir': { type: 'string' },
      'pod-ready-delay-ms': { type: 'string' },
    },
  });
  if (!values.scenario) {
    process.stderr.write('usage: kube-sim --scenario <file> [--port <port>] [--kubeconfig-dir <dir>]\n');
    process.exit(2);
  }
  const sim = await startSimulator({
    scenario: values.scenario,
    port: Number(values.port),
    host: values.host,
    ...(values['pod-ready-delay-ms'] ? { podReadyDelayMs: Number(values['pod-ready-delay-ms']) } : {}),
  });
  const kubeconfigs = values['kubeconfig-dir'] ? await sim.writeKubeconfigs(values['kubeconfig-dir']) : [];
  const clusters = sim.clusters.map((name, i) => ({
    name,
    url: sim.cluster(name).url,
    ...(kubeconfigs[i] ? { kubeconfig: kubeconfigs[i] } : {}),
  }));
  process.stdout.write(
    JSON.stringify({ ready: true, url: sim.url, admin: `${sim.url}/_sim`, clusters }) + '\n',
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`kube-sim failed: ${e instanceof Error ? e.message : 'unknown error'}\n`);
  process.exit(1);
});
