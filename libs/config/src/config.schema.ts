// Every setting of every Meshfleet process, validated once at start-up.
// A missing or malformed setting stops the process with a message naming it.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();

const urlWith = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL (${protocols.join(' or ')})`,
  );

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    // The worker's /healthz, /readyz and /metrics (0: any free port, logged at start-up).
    MESHFLEET_WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    DATABASE_URL: urlWith(['postgresql:', 'postgres:']),
    DATABASE_POOL_SIZE: positiveInt.default(10),
    REDIS_URL: urlWith(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    MESHFLEET_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
      .default('meshfleet'),
    // OpenTelemetry tracing: on when an OTLP endpoint is set, unless MESHFLEET_TRACING=false.
    MESHFLEET_TRACING: bool.optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: urlWith(['http:', 'https:']).optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlWith(['http:', 'https:']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MESHFLEET_PUBLIC_URL: urlWith(['http:', 'https:']).optional(),
    // Agent manifests and helm commands pointing at localhost/127.0.0.1 are refused unless this is set.
    MESHFLEET_PUBLIC_URL_ALLOW_LOCAL: bool.default(false),
    MESHFLEET_OIDC_ISSUER: z.string().min(1).optional(),
    MESHFLEET_OIDC_AUDIENCE: z.string().min(1).optional(),
    MESHFLEET_OIDC_JWKS_URL: urlWith(['http:', 'https:']).optional(),
    // OIDC groups → roles in one organization, e.g. "platform-admins=ADMIN,platform=EDITOR,viewers=VIEWER".
    MESHFLEET_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
    MESHFLEET_OIDC_GROUP_ROLES: z
      .string()
      .regex(
        /^\s*[^=,\s][^=,]*=\s*(ADMIN|EDITOR|VIEWER)\s*(,\s*[^=,\s][^=,]*=\s*(ADMIN|EDITOR|VIEWER)\s*)*$/,
        'must be group=ADMIN|EDITOR|VIEWER[,group=ROLE...]',
      )
      .optional(),
    MESHFLEET_OIDC_GROUP_ORGANIZATION: z.string().min(1).default('default'),
    MESHFLEET_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
    // Unset: "authenticated" (introspection for valid credentials only), "off" in production.
    // true/false are read as "public"/"off".
    MESHFLEET_GRAPHQL_INTROSPECTION: z
      .enum(['authenticated', 'public', 'off', 'true', 'false'])
      .transform((v) => (v === 'true' ? 'public' : v === 'false' ? 'off' : v))
      .optional(),
    // Unset: on, but off in production and wherever introspection is off. The page holds no data;
    // without a key it cannot introspect.
    MESHFLEET_GRAPHQL_IDE: bool.optional(),
    MESHFLEET_GRAPHQL_MAX_DEPTH: positiveInt.default(12),
    // A page multiplies its selections by its size: clusters(first: 200) with 6 fields costs ~2,600.
    MESHFLEET_GRAPHQL_MAX_COMPLEXITY: positiveInt.default(10000),
    MESHFLEET_GRAPHQL_MAX_ALIASES: positiveInt.default(30),
    // Request bodies: every GraphQL request, and importLinkerdRelease (a CRDs render is ~420 KB).
    MESHFLEET_GRAPHQL_MAX_BODY_BYTES: positiveInt.default(100 * 1024),
    MESHFLEET_RELEASE_IMPORT_MAX_BYTES: positiveInt.default(8 * 1024 * 1024),
    MESHFLEET_BOOTSTRAP_TOKEN_TTL_SECONDS: positiveInt.default(24 * 3600),
    MESHFLEET_AGENT_IMAGE: z.string().min(1).default('ghcr.io/meshfleet/linkerd-agent:0.1.0'),
    MESHFLEET_AGENT_HELM_CHART: z.string().min(1).default('./charts/meshfleet-agent'),
    MESHFLEET_HEARTBEAT_INTERVAL_SECONDS: positiveInt.default(15),
    MESHFLEET_REPORT_INTERVAL_SECONDS: positiveInt.default(60),
    MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: positiveInt.max(300).default(25),
    MESHFLEET_HEALTH_RETENTION_DAYS: positiveInt.default(14),
    MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: positiveInt.default(240),
    // Key-encryption keys for secrets at rest: "kid:base64-32-bytes[,kid2:...]".
    MESHFLEET_ENCRYPTION_KEYS: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]+:[A-Za-z0-9+/=]{43,44})*$/,
        'must be kid:base64(32 bytes)[,kid:base64(32 bytes)...]',
      )
      .optional(),
    MESHFLEET_ENCRYPTION_ACTIVE_KEY: z.string().min(1).optional(),
    MESHFLEET_TRUST_ANCHOR_VALIDITY_DAYS: positiveInt.default(3650),
    MESHFLEET_ISSUER_VALIDITY_DAYS: positiveInt.default(365),
    MESHFLEET_OPERATION_TIMEOUT_SECONDS: positiveInt.default(900),
    MESHFLEET_OPERATION_LEASE_SECONDS: positiveInt.default(120),
    MESHFLEET_OPERATION_MAX_ATTEMPTS: positiveInt.max(10).default(3),
    MESHFLEET_SIMULATED_CATALOG: bool.default(true),
    // Webhook targets that may resolve to private, loopback or link-local addresses: hosts or CIDRs.
    MESHFLEET_WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
    // Delays before each webhook attempt, e.g. "0,5s,5m,30m,2h,5h,10h,10h".
    MESHFLEET_WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .regex(/^\s*\d+(ms|s|m|h)?\s*(,\s*\d+(ms|s|m|h)?\s*)*$/, 'comma list of durations like 0,5s,5m,2h')
      .default('0,5s,5m,30m,2h,5h,10h,10h'),
    MESHFLEET_WEBHOOK_TIMEOUT_SECONDS: positiveInt.max(60).default(15),
    // How often the worker reads the event outbox, and how often it re-evaluates every alert rule.
    MESHFLEET_ALERT_POLL_INTERVAL_MS: positiveInt.default(1000),
    // Workers LISTEN for new outbox rows and drain at once; off leaves only the poll above.
    MESHFLEET_OUTBOX_LISTEN: bool.default(true),
    MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: positiveInt.default(30),
  })
  .superRefine((c, ctx) => {
    if (c.MESHFLEET_ENCRYPTION_KEYS) {
      const keys = c.MESHFLEET_ENCRYPTION_KEYS.split(',').map((k) => k.split(':'));
      for (const [kid, b64] of keys) {
        if (Buffer.from(b64 ?? '', 'base64').length !== 32)
          ctx.addIssue({
            code: 'custom',
            path: ['MESHFLEET_ENCRYPTION_KEYS'],
            message: `key ${kid} is not 32 bytes`,
          });
      }
      const active = c.MESHFLEET_ENCRYPTION_ACTIVE_KEY;
      if (active && !keys.some(([kid]) => kid === active))
        ctx.addIssue({
          code: 'custom',
          path: ['MESHFLEET_ENCRYPTION_ACTIVE_KEY'],
          message: `no key with id ${active}`,
        });
    }
    if (c.MESHFLEET_OIDC_GROUP_ROLES && !c.MESHFLEET_OIDC_ISSUER)
      ctx.addIssue({
        code: 'custom',
        path: ['MESHFLEET_OIDC_GROUP_ROLES'],
        message: 'needs OIDC (MESHFLEET_OIDC_ISSUER, MESHFLEET_OIDC_AUDIENCE, MESHFLEET_OIDC_JWKS_URL)',
      });
    const oidc = [c.MESHFLEET_OIDC_ISSUER, c.MESHFLEET_OIDC_AUDIENCE, c.MESHFLEET_OIDC_JWKS_URL];
    const set = oidc.filter((v) => v !== undefined).length;
    if (set !== 0 && set !== 3) {
      ctx.addIssue({
        code: 'custom',
        path: ['MESHFLEET_OIDC_JWKS_URL'],
        message: 'MESHFLEET_OIDC_ISSUER, MESHFLEET_OIDC_AUDIENCE and MESHFLEET_OIDC_JWKS_URL go together',
      });
    }
  });

export type RawConfig = z.infer<typeof configSchema>;
