// A simulated fleet: one kube-sim process-local simulator serving every cluster of a scenario,
// and one real Meshfleet agent (in-process, the same code as the binary) per cluster.
// Bootstrap tokens come either from GraphQL `registerCluster` with an admin key (what a user
// does) or from a map handed in; agent state files under `stateDir` make a restart reuse the
// credentials the agents already hold.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  loadScenario,
  startSimulator,
  type ClusterScenario,
  type KubeObject,
  type Scenario,
  type ScenarioInput,
  type Simulator,
} from '@meshfleet/kube-sim';
import { createLogger, loadAgentConfig, startAgent, type RunningAgent } from '@meshfleet/linkerd-agent';
import { FleetGraphqlError, graphqlClient, type GraphqlClient } from './graphql-client';

export type CloudProvider = 'AKS' | 'EKS' | 'GKE' | 'ONPREM';

export const PROVIDERS: Record<ClusterScenario['provider'], CloudProvider> = {
  aks: 'AKS',
  eks: 'EKS',
  gke: 'GKE',
  onprem: 'ONPREM',
};

/** Gateway API CRDs that Linkerd 2.19+ expects the platform team to bring (its bundle no longer ships them). */
export const GATEWAY_API_CRD_NAMES = [
  'grpcroutes.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
] as const;

export interface FleetOptions {
  /** Scenario file, YAML text or object; default: libs/kube-sim/scenarios/demo.yaml. */
  scenario?: string | ScenarioInput;
  /** Meshfleet API base URL (the agents append /agent/v1). */
  apiUrl: string;
  /**
   * `register`: call GraphQL registerCluster (or rotateBootstrapToken for known names) with
   * `adminKey`. `tokens`: bootstrap tokens from `bootstrapTokens` (clusters registered elsewhere).
   */
  mode: 'register' | 'tokens';
  adminKey?: string;
  bootstrapTokens?: Record<string, string>;
  /** Where each agent keeps its credential (`<cluster>.json`, mode 0600). */
  stateDir: string;
  /** Add the Gateway API CRDs to every simulated cluster that lacks them, before agents start. */
  gatewayApiCrds?: boolean;
  podReadyDelayMs?: number;
  /** Port of the simulator (default 0 = ephemeral). */
  simulatorPort?: number;
  /** Also write one kubeconfig per cluster there (for kubectl). */
  kubeconfigDir?: string;
  /** How long every agent may take to enroll (default 60 s). */
  readyTimeoutMs?: number;
  /** Labels added to every registered cluster on top of the scenario's (default { "meshfleet.io/simulated": "true" }). */
  extraLabels?: Record<string, string>;
  logger?: Logger;
  logLevel?: string;
  /** Agent report pacing (defaults: 1000 ms debounce, 5000 ms minimum spacing). */
  reportDebounceMs?: number;
  reportMinSpacingMs?: number;
}

export interface FleetCluster {
  name: string;
  clusterId: string;
  provider: CloudProvider;
  region: string;
  /** Linkerd pre-installed by the scenario. */
  linkerdPreinstalled: boolean;
  /** fleet-sim added the Gateway API CRDs to this cluster. */
  gatewayApiCrdsAdded: boolean;
  /** How the agent got in: a new registration, a rotated token, a token handed in, or its saved credential. */
  enrollment: 'registered' | 'rotated-token' | 'given-token' | 'saved-credential';
  agent: RunningAgent;
}

export interface RunningFleet {
  simulator: Simulator;
  clusters: FleetCluster[];
  /** The `{"ready":true,...}` line main prints. */
  readyLine(): string;
  /** Stops every agent, then the simulator. Idempotent. */
  stop(): Promise<void>;
}

export class FleetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetError';
  }
}

const DEFAULT_SCENARIO = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'libs',
  'kube-sim',
  'scenarios',
  'demo.yaml',
);

export function defaultScenarioPath(): string {
  return DEFAULT_SCENARIO;
}

const FIND = `query($name: String!) { clusters(filter: { search: $name }, first: 200) {
  edges { node { id name status } } } }`;
const REGISTER = `mutation($input: RegisterClusterInput!) { registerCluster(input: $input) {
  cluster { id } bootstrapToken { token } } }`;
const ROTATE = `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { cluster { id } bootstrapToken { token } } }`;

interface Credentials {
  clusterId: string | null;
  bootstrapToken: string | null;
  enrollment: FleetCluster['enrollment'];
}

async function readState(file: string): Promise<{ clusterId?: string; credential?: string }> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { clusterId?: string; credential?: string };
  } catch {
    return {};
  }
}

async function findCluster(
  client: GraphqlClient,
  name: string,
): Promise<{ id: string; status: string } | null> {
  const data = await client.request<{
    clusters: { edges: { node: { id: string; name: string; status: string } }[] };
  }>(FIND, { name });
  return data.clusters.edges.map((e) => e.node).find((n) => n.name === name) ?? null;
}

/** registerCluster, or rotateBootstrapToken when the name is already registered; saved credentials win. */
async function registerOrReuse(
  client: GraphqlClient,
  c: ClusterScenario,
  stateFile: string,
  extraLabels: Record<string, string>,
  log: Logger,
): Promise<Credentials> {
  const existing = await findCluster(client, c.name);
  const saved = await readState(stateFile);
  if (existing && saved.credential && saved.clusterId === existing.id) {
    return { clusterId: existing.id, bootstrapToken: null, enrollment: 'saved-credential' };
  }
  if (saved.credential || saved.clusterId) {
    // Saved for another database or a cluster that no longer exists: useless, and it would win.
    log.info({ stateFile }, 'saved agent state does not match the API; enrolling afresh');
    await rm(stateFile, { force: true });
  }
  if (existing) {
    const r = await client.request<{
      rotateBootstrapToken: { cluster: { id: string }; bootstrapToken: { token: string } };
    }>(ROTATE, { id: existing.id });
    return {
      clusterId: r.rotateBootstrapToken.cluster.id,
      bootstrapToken: r.rotateBootstrapToken.bootstrapToken.token,
      enrollment: 'rotated-token',
    };
  }
  const input = {
    name: c.name,
    provider: PROVIDERS[c.provider],
    region: c.region,
    labels: { ...c.labels, ...extraLabels },
  };
  const r = await client.request<{
    registerCluster: { cluster: { id: string }; bootstrapToken: { token: string } };
  }>(REGISTER, { input });
  return {
    clusterId: r.registerCluster.cluster.id,
    bootstrapToken: r.registerCluster.bootstrapToken.token,
    enrollment: 'registered',
  };
}

function gatewayApiCrdObjects(): KubeObject[] {
  return [
    ['grpcroutes', 'GRPCRoute'],
    ['httproutes', 'HTTPRoute'],
  ].map(
    ([plural, kind]) =>
      ({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {
          name: `${plural}.gateway.networking.k8s.io`,
          labels: { 'gateway.networking.k8s.io/bundle-version': 'v1.2.1' },
        },
        spec: {
          group: 'gateway.networking.k8s.io',
          scope: 'Namespaced',
          names: { plural, kind, singular: kind!.toLowerCase(), listKind: `${kind}List` },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      }) as unknown as KubeObject,
  );
}

/** Adds the Gateway API CRDs where they are missing; true when it added any. */
function ensureGatewayApiCrds(sim: Simulator, cluster: string): boolean {
  const model = sim.cluster(cluster).model;
  const crds = model.type('apiextensions.k8s.io', 'customresourcedefinitions');
  let added = false;
  for (const crd of gatewayApiCrdObjects()) {
    if (model.objects.find(crds, undefined, crd.metadata.name ?? '')) continue;
    model.ensure(crd);
    added = true;
  }
  return added;
}

async function waitReady(agent: RunningAgent, name: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      agent.ready(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FleetError(
                `the agent of ${name} did not enroll within ${Math.round(timeoutMs / 1000)} s ` +
                  `(phase ${agent.state.phase}): is the API reachable and the bootstrap token valid?`,
              ),
            ),
          timeoutMs,
        );
        poll = setInterval(() => {
          if (agent.state.phase === 'stopped')
            reject(new FleetError(`the agent of ${name} stopped before it enrolled (see its log)`));
        }, 200);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
}

export async function startFleet(options: FleetOptions): Promise<RunningFleet> {
  const log =
    options.logger ??
    createLogger(options.logLevel ?? 'info', { component: 'fleet-sim' }, pino.destination(2));
  const scenario: Scenario = loadScenario(options.scenario ?? DEFAULT_SCENARIO);
  if (scenario.clusters.length === 0) throw new FleetError('the scenario has no clusters');
  if (options.mode === 'register' && !options.adminKey)
    throw new FleetError('register mode needs an admin API key (MESHFLEET_ADMIN_KEY)');
  const client = options.mode === 'register' ? graphqlClient(options.apiUrl, options.adminKey ?? '') : null;
  const extraLabels = options.extraLabels ?? { 'meshfleet.io/simulated': 'true' };
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  const sim = await startSimulator({
    scenario,
    port: options.simulatorPort ?? 0,
    ...(options.podReadyDelayMs !== undefined ? { podReadyDelayMs: options.podReadyDelayMs } : {}),
  });
  const started: FleetCluster[] = [];
  const kubeconfigOf = (name: string): string | null =>
    options.kubeconfigDir ? join(options.kubeconfigDir, `${name}.kubeconfig`) : null;
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((c) => c.agent.stop()));
    await sim.close();
  };

  try {
    if (options.kubeconfigDir) await sim.writeKubeconfigs(options.kubeconfigDir);
    const prepared = await Promise.all(
      scenario.clusters.map(async (c) => {
        const clog = log.child({ cluster: c.name });
        const stateFile = join(options.stateDir, `${c.name}.json`);
        const gatewayApiCrdsAdded = options.gatewayApiCrds ? ensureGatewayApiCrds(sim, c.name) : false;
        let creds: Credentials;
        if (client) {
          creds = await registerOrReuse(client, c, stateFile, extraLabels, clog);
        } else {
          const saved = await readState(stateFile);
          const given = options.bootstrapTokens?.[c.name] ?? null;
          if (!given && !saved.credential)
            throw new FleetError(`no bootstrap token for ${c.name} and no saved credential in ${stateFile}`);
          creds = {
            clusterId: saved.clusterId ?? null,
            bootstrapToken: given,
            enrollment: saved.credential ? 'saved-credential' : 'given-token',
          };
        }
        return { c, clog, stateFile, creds, gatewayApiCrdsAdded };
      }),
    );

    for (const p of prepared) {
      const agent = await startAgent(
        {
          ...loadAgentConfig({ MESHFLEET_AGENT_PORT: '0', MESHFLEET_AGENT_HOST: '127.0.0.1' }),
          apiUrl: options.apiUrl.replace(/\/+$/, ''),
          kubeconfigYaml: sim.kubeconfigFor(p.c.name),
          bootstrapToken: p.creds.bootstrapToken,
          stateFile: p.stateFile,
          logLevel: options.logLevel ?? 'info',
          reportDebounceMs: options.reportDebounceMs ?? 1000,
        },
        { logger: p.clog, reportMinSpacingMs: options.reportMinSpacingMs ?? 5000 },
      );
      started.push({
        name: p.c.name,
        clusterId: p.creds.clusterId ?? '',
        provider: PROVIDERS[p.c.provider],
        region: p.c.region,
        linkerdPreinstalled: p.c.linkerd !== undefined,
        gatewayApiCrdsAdded: p.gatewayApiCrdsAdded,
        enrollment: p.creds.enrollment,
        agent,
      });
    }

    await Promise.all(started.map((c) => waitReady(c.agent, c.name, readyTimeoutMs)));
    for (const c of started) {
      const id = c.agent.state.clusterId;
      if (id && c.clusterId && id !== c.clusterId) {
        throw new FleetError(`the agent of ${c.name} enrolled as cluster ${id}, expected ${c.clusterId}`);
      }
      c.clusterId = id ?? c.clusterId;
      log.info({ cluster: c.name, clusterId: c.clusterId, enrollment: c.enrollment }, 'agent enrolled');
    }
  } catch (e) {
    await stopAll().catch(() => undefined);
    if (e instanceof FleetGraphqlError) throw new FleetError(e.message);
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return {
    simulator: sim,
    clusters: started,
    readyLine: () =>
      JSON.stringify({
        ready: true,
        simulator: sim.url,
        clusters: started.map((c) => ({
          name: c.name,
          clusterId: c.clusterId,
          provider: c.provider,
          region: c.region,
          linkerdPreinstalled: c.linkerdPreinstalled,
          gatewayApiCrdsAdded: c.gatewayApiCrdsAdded,
          enrollment: c.enrollment,
          kubeconfig: kubeconfigOf(c.name),
          faults: `${sim.url}/_sim/clusters/${encodeURIComponent(c.name)}/faults`,
        })),
      }),
    stop: () => (stopping ??= stopAll()),
  };
}
