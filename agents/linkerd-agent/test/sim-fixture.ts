// Shared kube-sim setup for the agent's integration tests: real simulator, real client-node.
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import { createLogger } from '../src/observability/logger';

export const quietLog = createLogger(process.env.LOG_LEVEL ?? 'silent');

/** One cluster with Linkerd (non-HA), a meshed and an unmeshed namespace and some traffic. */
export const MESHED_CLUSTER = {
  name: 'meshed',
  provider: 'eks' as const,
  region: 'us-east-1',
  kubernetesVersion: '1.31.4',
  nodes: 2,
  linkerd: { version: 'enterprise-2.19.4', ha: false, issuerValidityDays: 365 },
  namespaces: [
    {
      name: 'emojivoto',
      inject: 'enabled' as const,
      workloads: [
        { name: 'web', replicas: 1, port: 8080 },
        { name: 'emoji', replicas: 2, port: 8080 },
        { name: 'vote-bot', replicas: 1, port: 8080, service: false },
      ],
    },
    { name: 'legacy', workloads: [{ name: 'billing', replicas: 2, port: 80 }] },
  ],
  traffic: [
    { from: 'emojivoto/vote-bot', to: 'emojivoto/web', rps: 2 },
    { from: 'emojivoto/web', to: 'emojivoto/emoji', rps: 4 },
  ],
};

export const BARE_CLUSTER = {
  name: 'bare',
  provider: 'gke' as const,
  region: 'europe-west1',
  nodes: 1,
  namespaces: [{ name: 'apps', workloads: [{ name: 'api', replicas: 1, port: 8080 }] }],
};

export async function startSim(): Promise<Simulator> {
  return startSimulator({ scenario: { clusters: [MESHED_CLUSTER, BARE_CLUSTER] }, podReadyDelayMs: 20 });
}

export async function eventually<T>(
  fn: () => T | Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await fn();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
