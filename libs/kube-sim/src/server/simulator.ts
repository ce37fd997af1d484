// The simulator process: one HTTP server hosting many clusters under /clusters/<name>, plus
// an admin API under /_sim for faults. This is the programmatic entry point tests use.
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KubeError } from '../api/kube-error';
import type { RbacPrincipal } from './rbac-authorizer';
import { buildCluster } from '../cluster/cluster-builder';
import { SimCluster } from '../cluster/sim-cluster';
import { FaultController } from '../faults/fault-controller';
import { CertAndKey, createServingCert } from '../linkerd/certs';
import { LinkerdModel } from '../linkerd/linkerd-model';
import { loadScenario, ScenarioError } from '../scenario/scenario.loader';
import { ClusterScenarioInput, clusterSchema, Scenario, ScenarioInput } from '../scenario/scenario.schema';
import { ApiHandler } from './api-handler';
import { readBody, sendJson, sendStatus } from './http-util';
import { renderKubeconfig } from './kubeconfig';
import type { KubeObject } from '../store/types';

/** GitOps controllers the admin API can write as (their real field-manager names). */
const SIMULATED_WRITERS = new Set(['argocd-controller', 'kustomize-controller', 'helm-controller']);

export interface SimulatorOptions {
  /** Path to a YAML file, YAML text, or a scenario object. Empty = no clusters yet. */
  scenario?: string | ScenarioInput | Scenario;
  port?: number;
  host?: string;
  /** Overrides the scenario default for how long pods take to become Ready. */
  podReadyDelayMs?: number;
  /** Interval between BOOKMARK events on watches that ask for them. */
  bookmarkIntervalMs?: number;
  /** Events kept per cluster for watch resumption (older resourceVersions get 410). */
  watchWindow?: number;
  /**
   * Serve HTTPS with a generated CA (default true). kubectl only sends bearer tokens over
   * TLS, so plain HTTP is for clients that do not care (the kubeconfig then has no CA).
   */
  tls?: boolean;
}

/** A handle on one simulated cluster: its model, Linkerd behaviour, faults and credentials. */
export interface ClusterHandle {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly model: SimCluster;
  readonly linkerd: LinkerdModel;
  readonly faults: FaultController;
  kubeconfig(): string;
}

interface Entry {
  handle: ClusterHandle;
  api: ApiHandler;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Simulator {
  private readonly entries = new Map<string, Entry>();
  private readonly restricted = new Map<string, { cluster: string; principal: RbacPrincipal }>();
  private readonly trustGroups = new Map<string, Promise<CertAndKey>>();
  private server: Server | undefined;
  private baseUrl = '';
  private caPem: string | undefined;

  constructor(private readonly options: SimulatorOptions = {}) {}

  get url(): string {
    return this.baseUrl;
  }

  get clusters(): string[] {
    return [...this.entries.keys()];
  }

  cluster(name: string): ClusterHandle {
    const entry = this.entries.get(name);
    if (!entry) throw new ScenarioError(`no simulated cluster named "${name}"`);
    return entry.handle;
  }

  /** The cluster's kubeconfig: its admin token, or a restricted token from restrictedToken. */
  kubeconfigFor(name: string, token?: string): string {
    const c = this.cluster(name);
    return token ? renderKubeconfig(name, c.url, token, this.caPem) : c.kubeconfig();
  }

  /**
   * A bearer token for the cluster whose requests are authorized by RBAC against the principal's
   * rules (see rbac-authorizer.ts), e.g. an agent's ServiceAccount bound to its ClusterRole.
   */
  restrictedToken(name: string, principal: RbacPrincipal): string {
    this.cluster(name);
    const token = `sa-${randomBytes(16).toString('hex')}`;
    this.restricted.set(token, { cluster: name, principal });
    return token;
  }

  /** Writes <dir>/<cluster>.kubeconfig for every cluster; returns the paths. */
  async writeKubeconfigs(dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (const name of this.clusters) {
      const path = join(dir, `${name}.kubeconfig`);
      await writeFile(path, this.kubeconfigFor(name), { mode: 0o600 });
      paths.push(path);
    }
    return paths;
  }

  /** PEM of the CA that signed the serving certificate (undefined without TLS). */
  get caCertificate(): string | undefined {
    return this.caPem;
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.route(req, res);
    let server: Server;
    if (this.options.tls === false) server = createHttpServer(handler);
    else {
      const serving = await createServingCert([...new Set([host, '127.0.0.1', 'localhost'])]);
      this.caPem = serving.caPem;
      server = createHttpsServer({ key: serving.keyPem, cert: serving.certPem }, handler);
    }
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    this.baseUrl = `${this.options.tls === false ? 'http' : 'https'}://${addr.address}:${addr.port}`;
    this.server = server;
  }

  async addCluster(input: ClusterScenarioInput, podReadyDelayMs = 100): Promise<ClusterHandle> {
    const spec = clusterSchema.parse(input);
    if (this.entries.has(spec.name)) throw new ScenarioError(`cluster "${spec.name}" already exists`);
    const { cluster, linkerd } = await buildCluster(spec, {
      podReadyDelayMs: this.options.podReadyDelayMs ?? podReadyDelayMs,
      ...(this.options.bookmarkIntervalMs ? { bookmarkIntervalMs: this.options.bookmarkIntervalMs } : {}),
      ...(this.options.watchWindow ? { watchWindow: this.options.watchWindow } : {}),
      trustGroups: this.trustGroups,
      ...(this.caPem ? { rootCaPem: this.caPem } : {}),
    });
    const url = `${this.baseUrl}/clusters/${spec.name}`;
    const handle: ClusterHandle = {
      name: spec.name,
      url,
      token: cluster.settings.token,
      model: cluster,
      linkerd,
      faults: new FaultController(cluster, linkerd),
      kubeconfig: () => renderKubeconfig(spec.name, url, cluster.settings.token, this.caPem),
    };
    this.entries.set(spec.name, { handle, api: new ApiHandler(cluster) });
    return handle;
  }

  removeCluster(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.handle.model.stop();
    this.entries.delete(name);
  }

  async loadScenario(source: string | ScenarioInput | Scenario): Promise<void> {
    const scenario = loadScenario(source as string | ScenarioInput);
    for (const c of scenario.clusters) await this.addCluster(c, scenario.defaults.podReadyDelayMs);
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) e.handle.model.stop();
    this.entries.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(url.pathname);
      if (m)
        return await this.serveCluster(req, res, decodeURIComponent(m[1]!), m[2] ?? '/', url.searchParams);
      if (url.pathname.startsWith('/_sim/')) return await this.admin(req, res, url.pathname);
      // Clients that build absolute paths (`kubectl get --raw`) drop the /clusters/<name> prefix;
      // the bearer token still says which cluster they mean.
      const byToken = this.clusterForToken(req.headers.authorization);
      if (byToken && /^\/(api|apis|version|openapi)(\/|$)/.test(url.pathname))
        return await this.serveCluster(req, res, byToken, url.pathname, url.searchParams);
      if (url.pathname === '/healthz')
        return sendJson(res, 200, { ok: true, clusters: this.clusters.length });
      throw new KubeError('NotFound', 'the server could not find the requested resource');
    } catch (e) {
      this.fail(res, e);
    }
  }

  private clusterForToken(authorization: string | undefined): string | undefined {
    if (!authorization?.startsWith('Bearer ')) return undefined;
    const token = authorization.slice('Bearer '.length);
    for (const [name, e] of this.entries) if (e.handle.token === token) return name;
    return this.restricted.get(token)?.cluster;
  }

  private async serveCluster(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) throw new KubeError('NotFound', `no cluster "${name}"`);
    const cluster = entry.handle.model;
    if (cluster.faults.cutOff) {
      // Unreachable: the client sees a dropped connection, not an HTTP answer.
      req.socket.destroy();
      return;
    }
    const auth = req.headers.authorization ?? '';
    let principal: RbacPrincipal | undefined;
    if (auth !== `Bearer ${cluster.settings.token}`) {
      const r = auth.startsWith('Bearer ') ? this.restricted.get(auth.slice('Bearer '.length)) : undefined;
      if (r?.cluster !== name) throw new KubeError('Unauthorized', 'Unauthorized');
      principal = r.principal;
    }
    if (cluster.faults.latencyMs > 0) await sleep(cluster.faults.latencyMs);
    const injected = cluster.faults.injectedError();
    if (injected) return sendStatus(res, injected, injected.code === 429 ? { 'Retry-After': '1' } : {});
    await entry.api.handle(req, res, path, query, principal);
  }

  /** /_sim/clusters, /_sim/clusters/<name>/faults (GET snapshot, POST apply, DELETE clear). */
  private async admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/_sim/clusters')
      return sendJson(res, 200, {
        clusters: this.clusters.map((n) => ({ name: n, url: this.cluster(n).url })),
      });
    const w = /^\/_sim\/clusters\/([^/]+)\/writers\/([^/]+)$/.exec(path);
    if (w) return this.gitOpsWrite(req, res, decodeURIComponent(w[1]!), decodeURIComponent(w[2]!));
    const m = /^\/_sim\/clusters\/([^/]+)\/faults$/.exec(path);
    if (!m) throw new KubeError('NotFound', 'unknown admin path');
    const handle = this.cluster(decodeURIComponent(m[1]!));
    if (req.method === 'GET') return sendJson(res, 200, handle.faults.snapshot());
    if (req.method === 'DELETE') {
      handle.faults.clear();
      return sendJson(res, 200, handle.faults.snapshot());
    }
    if (req.method === 'POST') {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        throw new KubeError('BadRequest', 'fault body must be JSON');
      }
      const result = await handle.faults.apply(body);
      return sendJson(res, 200, { applied: body, result: result ?? null });
    }
    throw new KubeError('MethodNotAllowed', 'use GET, POST or DELETE');
  }

  /** POST /_sim/clusters/<name>/writers/<manager>[?operation=Update]: one object as a GitOps controller writes it. */
  private async gitOpsWrite(
    req: IncomingMessage,
    res: ServerResponse,
    cluster: string,
    manager: string,
  ): Promise<void> {
    if (req.method !== 'POST') throw new KubeError('MethodNotAllowed', 'use POST');
    if (!SIMULATED_WRITERS.has(manager))
      throw new KubeError(
        'BadRequest',
        `unknown simulated writer "${manager}"; known: ${[...SIMULATED_WRITERS].join(', ')}`,
      );
    const operation = new URL(req.url ?? '/', 'http://x').searchParams.get('operation') ?? 'Apply';
    if (operation !== 'Apply' && operation !== 'Update')
      throw new KubeError('BadRequest', 'operation must be Apply or Update');
    let body: KubeObject;
    try {
      body = JSON.parse(await readBody(req)) as KubeObject;
    } catch {
      throw new KubeError('BadRequest', 'writer body must be a JSON object');
    }
    if (!body || typeof body !== 'object' || !body.apiVersion || !body.kind || !body.metadata?.name)
      throw new KubeError(
        'BadRequest',
        'writer body must be a Kubernetes object with apiVersion, kind and name',
      );
    return sendJson(res, 200, this.cluster(cluster).model.applyAs(manager, body, operation));
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (e instanceof KubeError)
      return sendStatus(
        res,
        e,
        e.details?.retryAfterSeconds ? { 'Retry-After': String(e.details.retryAfterSeconds) } : {},
      );
    if (e instanceof ScenarioError) return sendStatus(res, new KubeError('NotFound', e.message));
    if (e && typeof e === 'object' && 'issues' in e)
      return sendStatus(
        res,
        new KubeError('BadRequest', `invalid request: ${JSON.stringify((e as { issues: unknown }).issues)}`),
      );
    const message = e instanceof Error ? e.message : 'unexpected error';
    sendStatus(res, new KubeError('InternalError', `Internal error occurred: ${message}`));
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new Simulator(options);
  await sim.listen();
  try {
    if (options.scenario) await sim.loadScenario(options.scenario);
  } catch (e) {
    await sim.close();
    throw e;
  }
  return sim;
}
