// A small fleet for end-to-end tests: one simulator, the real API and worker processes on a fresh
// database, and one real agent per simulated cluster, registered and enrolled through GraphQL.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startSimulator, type PolicyRule, type RbacPrincipal, type Simulator } from '@meshfleet/kube-sim';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  startWorkerProcess,
  type ApiProcess,
  type ChildHandle,
  type GqlResponse,
  type TestDatabase,
} from '@meshfleet/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '../src';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { gatewayApiCrds } from './lifecycle-fixture';
import { eventually, quietLog } from './sim-fixture';

export interface FleetMember {
  clusterId: string;
  ops: ClusterOps;
  kubeconfigYaml: string;
  agent: RunningAgent;
}

export interface E2eFleet {
  sim: Simulator;
  api: ApiProcess;
  /** The bootstrap admin API key the API was started with. */
  adminKey: string;
  /** The environment the API and worker run with (database, Redis prefix, keys). */
  env: Record<string, string>;
  /** Starts the worker when the fleet was started with `worker: false`; a no-op otherwise. */
  startWorker(): void;
  q(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<Record<string, any>>>;
  member(name: string): FleetMember;
  /** Polls an operation until it ends (any terminal status). */
  finished(operationId: string, fields: string, timeoutMs?: number): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

export async function startE2eFleet(
  clusters: ReadonlyArray<{ name: string } & Record<string, unknown>>,
  options: {
    gatewayApi?: boolean;
    /** Register in this mode and run each agent with the RBAC of the manifest registerCluster returns. */
    rbac?: 'MONITOR' | 'MANAGED';
    /** false: no worker until startWorker() (tests of work queued while no worker runs). */
    worker?: boolean;
    /** Extra API and worker environment (e.g. a higher agent rate limit for long task sequences). */
    env?: Record<string, string>;
  } = {},
): Promise<E2eFleet> {
  const sim = await startSimulator({ scenario: { clusters: [...clusters] } as never, podReadyDelayMs: 20 });
  const db: TestDatabase = await createTestDatabase();
  const p = processEnv({ db, extra: { MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5', ...options.env } });
  const api = await startApiProcess(p.env);
  let worker: ChildHandle | undefined = options.worker === false ? undefined : startWorkerProcess(p.env);
  const q = (query: string, variables: Record<string, unknown> = {}) =>
    gql<Record<string, any>>(api.url, query, variables, p.adminKey);
  const members = new Map<string, FleetMember>();
  for (const c of clusters) {
    const kubeconfigYaml = sim.kubeconfigFor(c.name);
    const ops = new ClusterOps(loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml }).kc);
    // The platform team brings the Gateway API CRDs that Linkerd 2.17+ needs.
    if (options.gatewayApi !== false) for (const crd of gatewayApiCrds()) await ops.apply(crd);
    const reg = await q(
      `mutation($n: String!, $m: ClusterMode) { registerCluster(input: { name: $n, provider: AKS, mode: $m }) { cluster { id } bootstrapToken { token } agentManifest } }`,
      { n: c.name, m: options.rbac ?? null },
    );
    if (reg.errors) throw new Error(JSON.stringify(reg.errors));
    const clusterId = reg.data!.registerCluster.cluster.id as string;
    const agentKubeconfig = options.rbac
      ? sim.kubeconfigFor(
          c.name,
          sim.restrictedToken(c.name, manifestPrincipal(reg.data!.registerCluster.agentManifest)),
        )
      : kubeconfigYaml;
    const agent = await startAgent(
      {
        ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
        apiUrl: api.url,
        kubeconfigYaml: agentKubeconfig,
        bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
        stateFile: join(await mkdtemp(join(tmpdir(), 'mf-e2e-fleet-')), 'state.json'),
        reportDebounceMs: 200,
      },
      { logger: quietLog, reportMinSpacingMs: 300 },
    );
    await agent.ready();
    members.set(c.name, { clusterId, ops, kubeconfigYaml, agent });
  }
  for (const [name, m] of members) {
    await eventually(
      async () =>
        (await q(`query($id: ID!) { cluster(id: $id) { status } }`, { id: m.clusterId })).data!.cluster,
      (c) => c.status === 'CONNECTED',
      20_000,
      `${name} connected`,
    );
  }
  return {
    sim,
    api,
    adminKey: p.adminKey,
    env: p.env,
    startWorker: () => {
      worker ??= startWorkerProcess(p.env);
    },
    q,
    member: (name) => {
      const m = members.get(name);
      if (!m) throw new Error(`no cluster ${name} in this fleet`);
      return m;
    },
    finished: (id, fields, timeoutMs = 120_000) =>
      eventually(
        async () =>
          (await q(`query($id: ID!) { operation(id: $id) { status ${fields} } }`, { id })).data!.operation,
        (o) => TERMINAL.includes(o.status),
        timeoutMs,
        `operation ${id} finished`,
      ),
    stop: async () => {
      for (const m of members.values()) await m.agent.stop();
      await worker?.stop();
      await api.stop();
      await db.drop();
      await sim.close();
    },
  };
}

/** The agent ServiceAccount's permissions as the manifest grants them (ClusterRole and its Role). */
export function manifestPrincipal(manifest: string): RbacPrincipal {
  const objects = parseAllDocuments(manifest).map(
    (d) => d.toJS() as { kind: string; metadata: { namespace?: string }; rules?: PolicyRule[] },
  );
  const role = objects.find((o) => o.kind === 'Role');
  return {
    user: 'system:serviceaccount:meshfleet-system:meshfleet-agent',
    clusterRules: objects.find((o) => o.kind === 'ClusterRole')?.rules ?? [],
    namespaceRules: role ? { [role.metadata.namespace!]: role.rules ?? [] } : {},
  };
}
