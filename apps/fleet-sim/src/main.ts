// `node apps/fleet-sim/dist/src/main.js --register [--scenario <file>] [--state-dir <dir>]`
// Runs the scenario's simulated clusters with one in-process agent each, prints one JSON line
// {"ready":true,"clusters":[{name,clusterId,…}]} once every agent is enrolled, and runs until
// SIGTERM/SIGINT (exit 0). Logs are JSON on stderr; stdout carries only the ready line.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultScenarioPath, startFleet, type FleetOptions } from './fleet';

const USAGE = `usage: fleet-sim (--register | --tokens-file <json>) [options]
  --register                 register every scenario cluster through GraphQL (needs MESHFLEET_ADMIN_KEY)
  --tokens-file <file>       JSON {"<cluster>": "<bootstrap token>"} for clusters registered elsewhere
  --scenario <file>          kube-sim scenario (default libs/kube-sim/scenarios/demo.yaml)
  --api-url <url>            Meshfleet API (default MESHFLEET_API_URL, else http://127.0.0.1:3000)
  --state-dir <dir>          agent credentials, reused on restart (default MESHFLEET_FLEET_STATE_DIR or $TMPDIR/meshfleet-fleet-sim)
  --gateway-api-crds         add the Gateway API CRDs (needed by Linkerd 2.19+) to clusters that lack them
  --kubeconfig-dir <dir>     write <dir>/<cluster>.kubeconfig for kubectl
  --sim-port <port>          simulator port (default 0 = ephemeral)
  --pod-ready-delay-ms <ms>  how long simulated pods take to become Ready
  --ready-timeout-seconds <s> how long agents may take to enroll (default 60)
  --report-debounce-ms <ms>  agent report debounce after a change (default 1000)
  --report-min-spacing-ms <ms> least time between two reports of one agent (default 5000)`;

function fail(message: string, code = 2): never {
  process.stderr.write(`fleet-sim: ${message}\n`);
  process.exit(code);
}

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        register: { type: 'boolean', default: false },
        'tokens-file': { type: 'string' },
        scenario: { type: 'string' },
        'api-url': { type: 'string' },
        'state-dir': { type: 'string' },
        'gateway-api-crds': { type: 'boolean', default: false },
        'kubeconfig-dir': { type: 'string' },
        'sim-port': { type: 'string' },
        'pod-ready-delay-ms': { type: 'string' },
        'ready-timeout-seconds': { type: 'string' },
        'report-debounce-ms': { type: 'string' },
        'report-min-spacing-ms': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    fail(`${e instanceof Error ? e.message : 'bad arguments'}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.register === Boolean(values['tokens-file']))
    fail(`give exactly one of --register or --tokens-file\n${USAGE}`);

  const apiUrl = values['api-url'] ?? process.env.MESHFLEET_API_URL ?? 'http://127.0.0.1:3000';
  let tokens: Record<string, string> | undefined;
  if (values['tokens-file']) {
    try {
      tokens = JSON.parse(readFileSync(values['tokens-file'], 'utf8')) as Record<string, string>;
    } catch (e) {
      fail(`cannot read ${values['tokens-file']}: ${e instanceof Error ? e.message : 'unreadable'}`);
    }
  }
  const adminKey = process.env.MESHFLEET_ADMIN_KEY;
  if (values.register && !adminKey) fail('--register needs MESHFLEET_ADMIN_KEY (an ADMIN or EDITOR API key)');

  const simulatorPort = intFlag(values['sim-port'], 'sim-port');
  const podReadyDelayMs = intFlag(values['pod-ready-delay-ms'], 'pod-ready-delay-ms');
  const readyTimeout = intFlag(values['ready-timeout-seconds'], 'ready-timeout-seconds');
  const reportDebounceMs = intFlag(values['report-debounce-ms'], 'report-debounce-ms');
  const reportMinSpacingMs = intFlag(values['report-min-spacing-ms'], 'report-min-spacing-ms');
  const options: FleetOptions = {
    scenario: values.scenario ? resolve(values.scenario) : defaultScenarioPath(),
    apiUrl,
    mode: values.register ? 'register' : 'tokens',
    ...(adminKey ? { adminKey } : {}),
    ...(tokens ? { bootstrapTokens: tokens } : {}),
    stateDir: resolve(
      values['state-dir'] ?? process.env.MESHFLEET_FLEET_STATE_DIR ?? join(tmpdir(), 'meshfleet-fleet-sim'),
    ),
    gatewayApiCrds: values['gateway-api-crds'],
    logLevel: process.env.LOG_LEVEL ?? 'info',
    ...(values['kubeconfig-dir'] ? { kubeconfigDir: resolve(values['kubeconfig-dir']) } : {}),
    ...(simulatorPort !== undefined ? { simulatorPort } : {}),
    ...(podReadyDelayMs !== undefined ? { podReadyDelayMs } : {}),
    ...(readyTimeout !== undefined ? { readyTimeoutMs: readyTimeout * 1000 } : {}),
    ...(reportDebounceMs !== undefined ? { reportDebounceMs } : {}),
    ...(reportMinSpacingMs !== undefined ? { reportMinSpacingMs } : {}),
  };

  // A signal during start-up must still stop cleanly once the fleet exists.
  let stopRequested = false;
  let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
  const shutdown = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    if (!fleet) return;
    fleet.stop().then(
      () => process.exit(0),
      (e: unknown) => fail(`stop failed: ${e instanceof Error ? e.message : 'unknown error'}`, 1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    fleet = await startFleet(options);
  } catch (e) {
    fail(e instanceof Error ? e.message : 'start failed', 1);
  }
  if (stopRequested) {
    await fleet.stop();
    process.exit(0);
  }
  process.stdout.write(`${fleet.readyLine()}\n`);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : 'unknown error', 1));
