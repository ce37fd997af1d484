// The /agent/v1 route table: every call an agent makes, what it sends, what it gets back and how
// errors come back. The API serves exactly these routes from this table and the agent builds its
// requests from it, so the two sides cannot drift apart.
import { z } from 'zod';
import { MAX_BODY_BYTES } from './limits';
import { EnrollRequestSchema, EnrollResponseSchema } from './messages/enroll.schema';
import { HealthReportSchema, ReportAcceptedSchema } from './messages/health-report.schema';
import { HeartbeatResponseSchema, HeartbeatSchema } from './messages/heartbeat.schema';
import {
  IssuerCsrRequestSchema,
  IssuerCsrResponseSchema,
  ReleaseBundlesPathSchema,
  ReleaseBundlesResponseSchema,
} from './messages/lifecycle.schema';
import { ExtensionBundlePathSchema, ExtensionBundleResponseSchema } from './messages/extensions.schema';
import {
  TaskEventSchema,
  TaskPathSchema,
  TaskPollQuerySchema,
  TaskPollResponseSchema,
  TaskResultSchema,
} from './messages/tasks.schema';

export const AGENT_API_BASE = '/agent/v1';

export type AgentRouteAuth =
  /** No Authorization header: the single-use bootstrap token travels in the body (enroll). */
  | 'bootstrap-token'
  /** `Authorization: Bearer <per-cluster credential>`: 401 when unknown, 403 when revoked. */
  | 'agent-credential';

export interface AgentRouteSpec {
  readonly method: 'GET' | 'POST';
  /** Below AGENT_API_BASE; `:name` segments are path parameters, URL-decoded. */
  readonly path: string;
  readonly auth: AgentRouteAuth;
  /** Path parameters, query string and JSON body; null when the route takes none. */
  readonly params: z.ZodType | null;
  readonly query: z.ZodType | null;
  readonly body: z.ZodType | null;
  /** Largest body in bytes (as sent; decompressed when compressed): 413 above it. */
  readonly bodyLimit: number;
  readonly status: 200 | 202 | 204;
  /** The JSON answer with `status`; null for 204 (no body). */
  readonly response: z.ZodType | null;
  /** Counted by the per-agent flood guard (429 with Retry-After). */
  readonly rateLimited: boolean;
}

function route<const R extends AgentRouteSpec>(r: R): R {
  return r;
}

export const AGENT_ROUTES = {
  enroll: route({
    method: 'POST',
    path: '/enroll',
    auth: 'bootstrap-token',
    params: null,
    query: null,
    body: EnrollRequestSchema,
    bodyLimit: MAX_BODY_BYTES.enroll,
    status: 200,
    response: EnrollResponseSchema,
    rateLimited: false,
  }),
  heartbeat: route({
    method: 'POST',
    path: '/heartbeat',
    auth: 'agent-credential',
    params: null,
    query: null,
    body: HeartbeatSchema,
    bodyLimit: MAX_BODY_BYTES.heartbeat,
    status: 200,
    response: HeartbeatResponseSchema,
    rateLimited: true,
  }),
  report: route({
    method: 'POST',
    path: '/reports',
    auth: 'agent-credential',
    params: null,
    query: null,
    body: HealthReportSchema,
    bodyLimit: MAX_BODY_BYTES.report,
    status: 202,
    response: ReportAcceptedSchema,
    rateLimited: true,
  }),
  nextTask: route({
    method: 'GET',
    path: '/tasks/next',
    auth: 'agent-credential',
    params: null,
    query: TaskPollQuerySchema,
    body: null,
    bodyLimit: 0,
    status: 200,
    response: TaskPollResponseSchema,
    rateLimited: true,
  }),
  /** The body's taskId must be the task of the URL (400 otherwise). */
  taskEvent: route({
    method: 'POST',
    path: '/tasks/:id/events',
    auth: 'agent-credential',
    params: TaskPathSchema,
    query: null,
    body: TaskEventSchema,
    bodyLimit: MAX_BODY_BYTES.taskEvent,
    status: 204,
    response: null,
    rateLimited: true,
  }),
  /** The body's taskId must be the task of the URL (400 otherwise); the same result twice is 204. */
  taskResult: route({
    method: 'POST',
    path: '/tasks/:id/result',
    auth: 'agent-credential',
    params: TaskPathSchema,
    query: null,
    body: TaskResultSchema,
    bodyLimit: MAX_BODY_BYTES.taskResult,
    status: 204,
    response: null,
    rateLimited: true,
  }),
  releaseBundles: route({
    method: 'GET',
    path: '/releases/:version/:variant',
    auth: 'agent-credential',
    params: ReleaseBundlesPathSchema,
    query: null,
    body: null,
    bodyLimit: 0,
    status: 200,
    response: ReleaseBundlesResponseSchema,
    rateLimited: false,
  }),
  extensionBundle: route({
    method: 'GET',
    path: '/releases/:version/extensions/:extension',
    auth: 'agent-credential',
    params: ExtensionBundlePathSchema,
    query: null,
    body: null,
    bodyLimit: 0,
    status: 200,
    response: ExtensionBundleResponseSchema,
    rateLimited: false,
  }),
  issuerCsr: route({
    method: 'POST',
    path: '/tasks/:id/issuer-csr',
    auth: 'agent-credential',
    params: TaskPathSchema,
    query: null,
    body: IssuerCsrRequestSchema,
    bodyLimit: MAX_BODY_BYTES.issuerCsr,
    status: 200,
    response: IssuerCsrResponseSchema,
    rateLimited: false,
  }),
} as const;

export type AgentRoutes = typeof AGENT_ROUTES;
export type AgentRouteName = keyof AgentRoutes;
export const AGENT_ROUTE_NAMES = Object.keys(AGENT_ROUTES) as AgentRouteName[];

/** The `:name` segments of a route path. */
export type PathParamNames<P extends string> = P extends `${string}:${infer N}/${infer Rest}`
  ? N | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer N}`
    ? N
    : never;

/** The URL path of a call (below the API's origin), parameters encoded, query appended. */
export function agentRoutePath<R extends AgentRouteSpec>(
  route: R,
  params: Record<PathParamNames<R['path']>, string>,
  query: Record<string, string | number> = {},
): string {
  const values = params as Record<string, string>;
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new TypeError(`missing path parameter ${name} of ${route.path}`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  return `${AGENT_API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

/**
 * The `error` code of every 4xx/5xx JSON answer and the status it comes with. The API's domain
 * error codes map here one to one; the rest are the transport's own.
 */
export const AGENT_ERROR_STATUS = {
  /** Malformed JSON or a schema error; the message names each bad path, details.issues lists them. */
  BAD_USER_INPUT: 400,
  /** Header x-meshfleet-protocol-version missing or not one of SUPPORTED_PROTOCOL_VERSIONS. */
  UNSUPPORTED_PROTOCOL_VERSION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  PAYLOAD_TOO_LARGE: 413,
  /** A body that is not JSON, or compressed other than gzip, deflate or br. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;
export type AgentErrorCode = keyof typeof AGENT_ERROR_STATUS;

export const AgentErrorBodySchema = z.object({
  error: z.enum(Object.keys(AGENT_ERROR_STATUS) as [AgentErrorCode, ...AgentErrorCode[]]),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AgentErrorBody = z.infer<typeof AgentErrorBodySchema>;

/**
 * What a 500 says: a code, and nothing about the failure (it is logged with the request id,
 * which the response carries in `x-request-id`).
 */
export const INTERNAL_ERROR_BODY = { error: 'INTERNAL', message: 'Internal server error' } as const;
