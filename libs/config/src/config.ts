import { configSchema, RawConfig } from './config.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export type MappedRole = 'ADMIN' | 'EDITOR' | 'VIEWER';

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Memberships from a group claim: created or updated at each sign-in; null when not configured. */
  groupRoles: {
    claim: string;
    /** Name of the organization the mapped memberships belong to. */
    organization: string;
    roles: Map<string, MappedRole>;
  } | null;
}

/** The validated configuration of one process. Read it only through this object. */
export class AppConfig {
  readonly env: RawConfig['NODE_ENV'];
  readonly port: number;
  readonly host: string;
  /** Where the worker serves /healthz, /readyz and /metrics (on `host`). */
  readonly workerPort: number;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly logLevel: RawConfig['LOG_LEVEL'];
  /** OpenTelemetry spans exported over OTLP/HTTP (the OTEL_* settings configure the exporter). */
  readonly tracing: boolean;
  readonly publicUrl: string;
  /** Whether agent manifests may point at a loopback API URL (agents on this machine only). */
  readonly publicUrlAllowLocal: boolean;
  readonly oidc: OidcConfig | null;
  readonly bootstrapAdminKey: string | null;
  readonly graphql: {
    /** Who may introspect the schema (and get "Did you mean …" hints in errors). */
    introspection: 'authenticated' | 'public' | 'off';
    ide: boolean;
    maxDepth: number;
    maxComplexity: number;
    maxAliases: number;
    /** Body limit of every GraphQL request but importLinkerdRelease. */
    maxBodyBytes: number;
    /** Body limit of an importLinkerdRelease request. */
    importMaxBodyBytes: number;
  };
  readonly bootstrapTokenTtlSeconds: number;
  readonly agentImage: string;
  /** Chart reference printed in registerCluster's helm command. */
  readonly agentHelmChart: string;
  readonly heartbeatIntervalSeconds: number;
  readonly reportIntervalSeconds: number;
  readonly taskPollTimeoutSeconds: number;
  readonly healthRetentionDays: number;
  readonly agentRateLimitPerMinute: number;
  /** Key-encryption keys by id, and the id new secrets are wrapped with; null when unset. */
  readonly encryption: { keys: Map<string, Buffer>; activeKeyId: string } | null;
  readonly trustAnchorValidityDays: number;
  readonly issuerValidityDays: number;
  readonly operationTimeoutSeconds: number;
  /** A running task silent this long has lost its agent. */
  readonly operationLeaseSeconds: number;
  /** Attempts for an operation whose failures are transient (the agent's steps are idempotent). */
  readonly operationMaxAttempts: number;
  /** Ship the simulated Linkerd 2.18–2.20 catalog (for the simulator and demos). */
  readonly simulatedCatalog: boolean;
  /** Webhooks: allowlisted private targets, retry delays (ms, one per attempt), request timeout. */
  readonly webhooks: { allowedHosts: string[]; retryScheduleMs: number[]; timeoutMs: number };
  readonly alerts: { pollIntervalMs: number; evaluationIntervalMs: number };
  /** Workers wake on NOTIFY of new outbox rows (the poll stays as the safety net). */
  readonly outbox: { listen: boolean };

  constructor(raw: RawConfig) {
    this.env = raw.NODE_ENV;
    this.port = raw.PORT;
    this.host = raw.HOST;
    this.workerPort = raw.MESHFLEET_WORKER_PORT;
    this.databaseUrl = raw.DATABASE_URL;
    this.databasePoolSize = raw.DATABASE_POOL_SIZE;
    this.redisUrl = raw.REDIS_URL;
    this.redisPrefix = raw.MESHFLEET_REDIS_PREFIX;
    this.logLevel = raw.LOG_LEVEL;
    this.tracing =
      raw.MESHFLEET_TRACING ??
      (raw.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined);
    this.publicUrl = (raw.MESHFLEET_PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '');
    this.publicUrlAllowLocal = raw.MESHFLEET_PUBLIC_URL_ALLOW_LOCAL;
    this.oidc =
      raw.MESHFLEET_OIDC_ISSUER && raw.MESHFLEET_OIDC_AUDIENCE && raw.MESHFLEET_OIDC_JWKS_URL
        ? {
            issuer: raw.MESHFLEET_OIDC_ISSUER,
            audience: raw.MESHFLEET_OIDC_AUDIENCE,
            jwksUrl: raw.MESHFLEET_OIDC_JWKS_URL,
            groupRoles: raw.MESHFLEET_OIDC_GROUP_ROLES
              ? {
                  claim: raw.MESHFLEET_OIDC_GROUPS_CLAIM,
                  organization: raw.MESHFLEET_OIDC_GROUP_ORGANIZATION,
                  roles: new Map(
                    raw.MESHFLEET_OIDC_GROUP_ROLES.split(',').map((pair) => {
                      const at = pair.lastIndexOf('=');
                      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim() as MappedRole];
                    }),
                  ),
                }
              : null,
          }
        : null;
    this.bootstrapAdminKey = raw.MESHFLEET_BOOTSTRAP_ADMIN_KEY ?? null;
    const introspection =
      (raw.MESHFLEET_GRAPHQL_INTROSPECTION as 'authenticated' | 'public' | 'off' | undefined) ??
      (raw.NODE_ENV === 'production' ? 'off' : 'authenticated');
    this.graphql = {
      introspection,
      // Unless set: off in production, and off wherever introspection is.
      ide: raw.MESHFLEET_GRAPHQL_IDE ?? (raw.NODE_ENV !== 'production' && introspection !== 'off'),
      maxDepth: raw.MESHFLEET_GRAPHQL_MAX_DEPTH,
      maxComplexity: raw.MESHFLEET_GRAPHQL_MAX_COMPLEXITY,
      maxAliases: raw.MESHFLEET_GRAPHQL_MAX_ALIASES,
      maxBodyBytes: raw.MESHFLEET_GRAPHQL_MAX_BODY_BYTES,
      importMaxBodyBytes: raw.MESHFLEET_RELEASE_IMPORT_MAX_BYTES,
    };
    this.bootstrapTokenTtlSeconds = raw.MESHFLEET_BOOTSTRAP_TOKEN_TTL_SECONDS;
    this.agentImage = raw.MESHFLEET_AGENT_IMAGE;
    this.agentHelmChart = raw.MESHFLEET_AGENT_HELM_CHART;
    this.heartbeatIntervalSeconds = raw.MESHFLEET_HEARTBEAT_INTERVAL_SECONDS;
    this.reportIntervalSeconds = raw.MESHFLEET_REPORT_INTERVAL_SECONDS;
    this.taskPollTimeoutSeconds = raw.MESHFLEET_TASK_POLL_TIMEOUT_SECONDS;
    this.healthRetentionDays = raw.MESHFLEET_HEALTH_RETENTION_DAYS;
    this.agentRateLimitPerMinute = raw.MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE;
    if (raw.MESHFLEET_ENCRYPTION_KEYS) {
      const pairs = raw.MESHFLEET_ENCRYPTION_KEYS.split(',').map((p) => p.split(':') as [string, string]);
      this.encryption = {
        keys: new Map(pairs.map(([kid, b64]) => [kid, Buffer.from(b64, 'base64')])),
        activeKeyId: raw.MESHFLEET_ENCRYPTION_ACTIVE_KEY ?? pairs[0]![0],
      };
    } else this.encryption = null;
    this.trustAnchorValidityDays = raw.MESHFLEET_TRUST_ANCHOR_VALIDITY_DAYS;
    this.issuerValidityDays = raw.MESHFLEET_ISSUER_VALIDITY_DAYS;
    this.operationTimeoutSeconds = raw.MESHFLEET_OPERATION_TIMEOUT_SECONDS;
    this.operationLeaseSeconds = raw.MESHFLEET_OPERATION_LEASE_SECONDS;
    this.operationMaxAttempts = raw.MESHFLEET_OPERATION_MAX_ATTEMPTS;
    this.simulatedCatalog = raw.MESHFLEET_SIMULATED_CATALOG;
    this.webhooks = {
      allowedHosts: raw.MESHFLEET_WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
      retryScheduleMs: raw.MESHFLEET_WEBHOOK_RETRY_SCHEDULE.split(',').map(parseDurationMs),
      timeoutMs: raw.MESHFLEET_WEBHOOK_TIMEOUT_SECONDS * 1000,
    };
    this.alerts = {
      pollIntervalMs: raw.MESHFLEET_ALERT_POLL_INTERVAL_MS,
      evaluationIntervalMs: raw.MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS * 1000,
    };
    this.outbox = { listen: raw.MESHFLEET_OUTBOX_LISTEN };
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s" → 5000; a bare number is seconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new ConfigError([`"${text}" is not a duration`]);
  return Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
}

/** Parses settings from an environment map; empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
  }
  return new AppConfig(parsed.data);
}
