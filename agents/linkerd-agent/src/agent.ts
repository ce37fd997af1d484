// Assembles one agent: Kubernetes façade → credential → loops. No process-global state and no
// process.exit: the demo runs one agent per simulated cluster in a single process.
import type { Logger } from 'pino';
import { initialState, type AgentState } from './agent-state';
import type { AgentConfig } from './config/agent-config';
import { CredentialManager, NoCredentialError } from './credentials/credential-manager';
import { CredentialStore } from './credentials/credential-store';
import { GatewayClient } from './gateway-client/gateway-client';
import { KubeAccess } from './kube/kube-access';
import { errorMessage } from './util/errors';
import { heartbeatLoop } from './loops/heartbeat.loop';
import { describeError, type LoopContext } from './loops/loop-context';
import { ReportLoop } from './loops/report.loop';
import { taskPollLoop } from './loops/task-poll.loop';
import { AgentMetrics } from './observability/agent-metrics';
import { createLogger } from './observability/logger';
import { ProxyScraper } from './report/proxy-scraper';
import { GitopsSourceReader } from './report/gitops-source-reader';
import { healthSignature } from './report/health-signature';
import { ReportBuilder } from './report/report-builder';
import { ResourceCollector } from './report/resource-collector';
import { DesiredState } from './drift/desired-state';
import { DriftMonitor } from './drift/drift-monitor';
import { clusterDesiredStore } from './drift/desired-store';
import { startAgentServer } from './server/agent-server';
import { TaskRunner } from './tasks/task-runner';
import { Backoff } from './util/backoff';
import { SequenceGenerator } from './util/sequence';
import { sleep } from './util/sleep';
import { AGENT_VERSION } from './version';

export interface StartAgentOptions {
  logger?: Logger;
  /** Node process metrics on /metrics (the binary yes, many agents in one process no). */
  processMetrics?: boolean;
  /** Spacing of change-triggered reports (default 5 s). */
  reportMinSpacingMs?: number;
}

export interface RunningAgent {
  /** Live view of the agent's state (read-only for callers). */
  readonly state: Readonly<AgentState>;
  /** URL of the agent's own /healthz and /metrics server. */
  readonly url: string;
  /** Resolves once informers are synced and the agent holds a credential. */
  ready(): Promise<void>;
  /** Stops loops, aborts the long-poll, closes informers and the server. Idempotent. */
  stop(): Promise<void>;
}

export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions = {},
): Promise<RunningAgent> {
  const log = options.logger ?? createLogger(config.logLevel);
  const state = initialState();
  const metrics = new AgentMetrics(options.processMetrics ?? false);
  const abort = new AbortController();
  const signal = abort.signal;
  const startedAt = Date.now();

  const kube = new KubeAccess(
    {
      kubeconfigPath: config.kubeconfigPath,
      ...(config.kubeconfigYaml ? { kubeconfigYaml: config.kubeconfigYaml } : {}),
      linkerdNamespaces: [config.linkerdNamespace, config.vizNamespace],
    },
    log,
  );
  const server = await startAgentServer({
    host: config.host,
    port: config.port,
    registry: metrics.registry,
    health: () => ({
      ok: state.informersSynced && state.enrolled && state.phase === 'running',
      detail: { phase: state.phase, informersSynced: state.informersSynced, enrolled: state.enrolled },
    }),
  });

  let readyResolve!: () => void;
  const readyPromise = new Promise<void>((r) => (readyResolve = r));
  const tasks: Promise<void>[] = [];
  let reportLoop: ReportLoop | undefined;

  const main = async (): Promise<void> => {
    state.phase = 'syncing';
    kube.start();
    if (!(await kube.waitForSync(signal))) return;
    state.informersSynced = true;
    metrics.informersSynced.set(1);
    await kube.refreshServerVersion();
    log.info({ kubernetesVersion: kube.kubernetesVersion }, 'informers synced');

    state.phase = 'enrolling';
    const store = new CredentialStore({ kube, secret: config.secret, stateFile: config.stateFile }, log);
    const apiUrl = await resolveApiUrl(config, store, log, signal);
    if (!apiUrl) return;
    const gateway = new GatewayClient({
      apiUrl,
      onSent: (route, jsonBytes, wireBytes) => {
        if (route !== 'report') return;
        metrics.reportBodyBytes.set({ form: 'json' }, jsonBytes);
        metrics.reportBodyBytes.set({ form: 'wire' }, wireBytes);
      },
    });
    const credentials = new CredentialManager({
      store,
      gateway,
      bootstrapToken: config.bootstrapToken,
      agentVersion: AGENT_VERSION,
      clusterFacts: async () => {
        await kube.refreshServerVersion();
        return kube.clusterFacts();
      },
      onCredentialChange: (has, clusterId) => {
        state.enrolled = has;
        state.clusterId = clusterId;
      },
      onEnrolled: (r) => {
        state.intervals = {
          heartbeatSeconds: r.heartbeatIntervalSeconds,
          reportSeconds: r.reportIntervalSeconds,
          taskPollSeconds: r.taskPollTimeoutSeconds,
        };
      },
      log,
    });
    await credentials.get(signal);
    state.phase = 'running';
    readyResolve();

    const ctx: LoopContext = { gateway, credentials, state, metrics, log, signal };
    const scraper = new ProxyScraper({
      kube,
      limits: config.scrape,
      controlPlaneNamespace: config.linkerdNamespace,
      onError: () => metrics.scrapeErrors.inc(),
    });
    const desired = new DesiredState(clusterDesiredStore(kube.ops, config.linkerdNamespace), (e) =>
      log.warn(describeError(e), 'drift desired state not stored or read'),
    );
    const drift = new DriftMonitor({
      ops: kube.ops,
      desired,
      intervalMs: () => state.intervals.reportSeconds * 1000,
      onError: (e) => log.warn(describeError(e), 'drift check failed'),
    });
    const builder = new ReportBuilder({
      drift,
      gitopsSource: new GitopsSourceReader(kube.ops),
      kube,
      scraper,
      resources: new ResourceCollector({
        kube,
        controlPlaneNamespace: config.linkerdNamespace,
        vizNamespace: config.vizNamespace,
        timeoutMs: config.scrape.timeoutMs,
        log,
      }),
      links: async () =>
        (await kube.ops.listIfServed('multicluster.linkerd.io/v1alpha3', 'Link'))?.map(
          (l) => `${l.metadata?.namespace}/${l.metadata?.name}`,
        ),
      agentVersion: AGENT_VERSION,
      controlPlaneNamespace: config.linkerdNamespace,
      vizNamespace: config.vizNamespace,
      certExpiryWarningDays: config.certExpiryWarningDays,
    });
    const reports = new ReportLoop(ctx, builder, new SequenceGenerator(), {
      debounceMs: config.reportDebounceMs,
      minSpacingMs: options.reportMinSpacingMs ?? 5000,
      early: {
        ...config.earlyReport,
        signature: () => healthSignature(kube.snapshot(), config.linkerdNamespace),
      },
    });
    reportLoop = reports;
    kube.onChange(() => reports.markDirty());
    const runner = new TaskRunner(ctx, {
      kube,
      scrapeTimeoutMs: config.scrape.timeoutMs,
      desired,
      onLifecycleFinished: () => reports.requestNow(),
    });
    tasks.push(
      reports.run(),
      heartbeatLoop(ctx, {
        agentVersion: AGENT_VERSION,
        startedAt,
        requestReport: () => reports.requestNow(),
        status: () => ({
          kubernetesReachable: kube.kubernetesVersion !== null,
          ...(state.linkerdInstalled !== null ? { linkerdInstalled: state.linkerdInstalled } : {}),
          ...(state.lastReport
            ? { health: state.lastReport.health, lastReportSequence: state.lastReport.sequence }
            : {}),
          ...(state.runningTaskId ? { runningTaskId: state.runningTaskId } : {}),
        }),
      }),
      taskPollLoop(ctx, runner),
    );
    await Promise.all(tasks);
  };

  const mainDone = main().catch((e: unknown) => {
    if (e instanceof NoCredentialError || signal.aborted) return;
    log.error({ err: errorMessage(e) }, 'agent stopped working');
    state.phase = 'stopped';
  });

  let stopping: Promise<void> | undefined;
  return {
    state,
    url: server.url,
    ready: () => readyPromise,
    stop: () =>
      (stopping ??= (async () => {
        state.phase = 'stopping';
        abort.abort();
        reportLoop?.stop();
        await mainDone;
        await kube.stop();
        await server.close();
        state.phase = 'stopped';
        log.info('agent stopped');
      })()),
  };
}

/** The API URL from the environment, else from the Secret — waited for, never a crash. */
async function resolveApiUrl(
  config: AgentConfig,
  store: CredentialStore,
  log: Logger,
  signal: AbortSignal,
): Promise<string | null> {
  if (config.apiUrl) return config.apiUrl;
  const backoff = new Backoff();
  while (!signal.aborted) {
    const fromSecret = (await store.load()).apiUrl;
    if (fromSecret) return fromSecret.replace(/\/+$/, '');
    const waitMs = backoff.fail();
    log.error(
      { retryInMs: waitMs },
      'no API URL: set MESHFLEET_API_URL or the apiUrl key of the agent Secret',
    );
    await sleep(waitMs, signal);
  }
  return null;
}
