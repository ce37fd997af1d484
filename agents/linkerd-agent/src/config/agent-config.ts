// The agent's one validated configuration, read from the environment once at start-up.
// Errors name the offending setting so a broken install manifest is obvious in the pod log.
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const secretRef = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'must be "<namespace>/<name>"');
const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

const envSchema = z.object({
  MESHFLEET_API_URL: z.preprocess(emptyAsUndefined, z.url().optional()),
  MESHFLEET_BOOTSTRAP_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16).max(512).optional()),
  MESHFLEET_AGENT_SECRET: secretRef.default('meshfleet-system/meshfleet-agent'),
  MESHFLEET_AGENT_STATE_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  KUBECONFIG: z.preprocess(emptyAsUndefined, z.string().optional()),
  MESHFLEET_AGENT_PORT: int(0, 65535).default(9090),
  MESHFLEET_AGENT_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MESHFLEET_LINKERD_NAMESPACE: z.string().min(1).default('linkerd'),
  MESHFLEET_LINKERD_VIZ_NAMESPACE: z.string().min(1).default('linkerd-viz'),
  MESHFLEET_CERT_EXPIRY_WARNING_DAYS: int(1, 3650).default(60),
  MESHFLEET_SCRAPE_CONCURRENCY: int(1, 64).default(8),
  MESHFLEET_SCRAPE_TIMEOUT_MS: int(100, 60_000).default(5000),
  MESHFLEET_SCRAPE_MAX_PODS: int(0, 5000).default(50),
  MESHFLEET_REPORT_DEBOUNCE_MS: int(0, 60_000).default(1000),
  // Early reports when what the health verdict turns on changes (0 debounce: compare at once).
  MESHFLEET_REPORT_EARLY_DEBOUNCE_MS: int(0, 10_000).default(300),
  MESHFLEET_REPORT_EARLY_MIN_SPACING_MS: int(100, 600_000).default(1000),
  MESHFLEET_REPORT_EARLY_BURST: int(1, 100).default(5),
  MESHFLEET_REPORT_EARLY_REFILL_MS: int(100, 3_600_000).default(10_000),
});

export interface AgentConfig {
  /** Base URL of the Meshfleet API (without /agent/v1); may also come from the Secret. */
  apiUrl: string | null;
  bootstrapToken: string | null;
  secret: { namespace: string; name: string };
  stateFile: string | null;
  /** Kubeconfig file; null = in-cluster config (or the client's default lookup). */
  kubeconfigPath: string | null;
  /** Inline kubeconfig YAML (programmatic use: one agent per simulated cluster in one process). */
  kubeconfigYaml?: string;
  port: number;
  host: string;
  logLevel: string;
  linkerdNamespace: string;
  vizNamespace: string;
  certExpiryWarningDays: number;
  scrape: { concurrency: number; timeoutMs: number; maxPods: number };
  reportDebounceMs: number;
  /** Early health-change reports: debounce, least spacing, and a budget (burst, one back per refill). */
  earlyReport: { debounceMs: number; minSpacingMs: number; burst: number; refillMs: number };
}

export class AgentConfigError extends Error {
  readonly code = 'AGENT_CONFIG_INVALID';
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`invalid setting ${setting}: ${detail}`);
    this.name = 'AgentConfigError';
  }
}

export function loadAgentConfig(env: Record<string, string | undefined> = process.env): AgentConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentConfigError(String(issue.path[0] ?? '(environment)'), issue.message);
  }
  const e = parsed.data;
  const [namespace, name] = e.MESHFLEET_AGENT_SECRET.split('/') as [string, string];
  return {
    apiUrl: e.MESHFLEET_API_URL?.replace(/\/+$/, '') ?? null,
    bootstrapToken: e.MESHFLEET_BOOTSTRAP_TOKEN ?? null,
    secret: { namespace, name },
    stateFile: e.MESHFLEET_AGENT_STATE_FILE ?? null,
    kubeconfigPath: e.KUBECONFIG ?? null,
    port: e.MESHFLEET_AGENT_PORT,
    host: e.MESHFLEET_AGENT_HOST,
    logLevel: e.LOG_LEVEL,
    linkerdNamespace: e.MESHFLEET_LINKERD_NAMESPACE,
    vizNamespace: e.MESHFLEET_LINKERD_VIZ_NAMESPACE,
    certExpiryWarningDays: e.MESHFLEET_CERT_EXPIRY_WARNING_DAYS,
    scrape: {
      concurrency: e.MESHFLEET_SCRAPE_CONCURRENCY,
      timeoutMs: e.MESHFLEET_SCRAPE_TIMEOUT_MS,
      maxPods: e.MESHFLEET_SCRAPE_MAX_PODS,
    },
    reportDebounceMs: e.MESHFLEET_REPORT_DEBOUNCE_MS,
    earlyReport: {
      debounceMs: e.MESHFLEET_REPORT_EARLY_DEBOUNCE_MS,
      minSpacingMs: e.MESHFLEET_REPORT_EARLY_MIN_SPACING_MS,
      burst: e.MESHFLEET_REPORT_EARLY_BURST,
      refillMs: e.MESHFLEET_REPORT_EARLY_REFILL_MS,
    },
  };
}
