// HTTP client for the API's agent gateway (`/agent/v1`). Every body is validated against the
// agent-protocol schema and the size limit before it leaves, and every answer is validated
// before it is trusted; the protocol version travels on every request.
import {
  EnrollRequestSchema,
  EnrollResponseSchema,
  HealthReportSchema,
  HeartbeatResponseSchema,
  HeartbeatSchema,
  IssuerCsrRequestSchema,
  IssuerCsrResponseSchema,
  jsonByteLength,
  MAX_BODY_BYTES,
  parseMessage,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  ReleaseBundlesResponseSchema,
  TaskEventSchema,
  TaskPollResponseSchema,
  TaskResultSchema,
  type EnrollRequestInput,
  type EnrollResponse,
  type HealthReportInput,
  type HeartbeatInput,
  type HeartbeatResponse,
  type IssuerCsrResponse,
  type MessageKind,
  type ReleaseBundlesResponse,
  type ReleaseRef,
  type TaskEnvelope,
  type TaskEventInput,
  type TaskResultInput,
} from '@meshfleet/agent-protocol';
import { z } from 'zod';
import { GatewayError, parseRetryAfter } from './gateway-error';

export interface GatewayClientOptions {
  /** API base URL, e.g. https://meshfleet.example.com (the client appends /agent/v1). */
  apiUrl: string;
  /** Timeout of ordinary requests; long-polls add their wait time to it. */
  requestTimeoutMs?: number;
}

const ReportAcceptedSchema = z.object({ accepted: z.boolean() });

// The protocol lib has no body limit for the issuer CSR yet; its schema caps the PEM at 16 KiB.
const BODY_LIMITS: Record<MessageKind | 'issuerCsr', number> = { ...MAX_BODY_BYTES, issuerCsr: 17 * 1024 };
/** Release bundles can be large (CRD schemas); allow more than an ordinary request. */
const BUNDLE_TIMEOUT_MS = 60_000;

interface Call {
  method: 'GET' | 'POST';
  path: string;
  credential?: string;
  body?: { kind: MessageKind | 'issuerCsr'; schema: z.ZodType; value: unknown };
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class GatewayClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(options: GatewayClientOptions) {
    this.base = `${options.apiUrl.replace(/\/+$/, '')}/agent/v1`;
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
  }

  async enroll(req: EnrollRequestInput, signal?: AbortSignal): Promise<EnrollResponse> {
    const body = { kind: 'enroll' as const, schema: EnrollRequestSchema, value: req };
    const res = await this.call({ method: 'POST', path: '/enroll', body, signal });
    return this.parse(EnrollResponseSchema, res, 'enroll');
  }

  async heartbeat(credential: string, hb: HeartbeatInput, signal?: AbortSignal): Promise<HeartbeatResponse> {
    const body = { kind: 'heartbeat' as const, schema: HeartbeatSchema, value: hb };
    const res = await this.call({ method: 'POST', path: '/heartbeat', credential, body, signal });
    return this.parse(HeartbeatResponseSchema, res, 'heartbeat');
  }

  async report(credential: string, report: HealthReportInput, signal?: AbortSignal): Promise<boolean> {
    const body = { kind: 'report' as const, schema: HealthReportSchema, value: report };
    const res = await this.call({ method: 'POST', path: '/reports', credential, body, signal });
    return this.parse(ReportAcceptedSchema, res, 'report').accepted;
  }

  /** Long-poll: the API holds the request up to `waitSeconds` and answers null when idle. */
  async nextTask(
    credential: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<TaskEnvelope | null> {
    const res = await this.call({
      method: 'GET',
      path: `/tasks/next?waitSeconds=${waitSeconds}`,
      credential,
      signal,
      timeoutMs: waitSeconds * 1000 + this.timeoutMs,
    });
    return this.parse(TaskPollResponseSchema, res, 'task poll').task;
  }

  async taskEvent(credential: string, event: TaskEventInput, signal?: AbortSignal): Promise<void> {
    const body = { kind: 'taskEvent' as const, schema: TaskEventSchema, value: event };
    const path = `/tasks/${encodeURIComponent(event.taskId)}/events`;
    await this.call({ method: 'POST', path, credential, body, signal });
  }

  async taskResult(credential: string, result: TaskResultInput, signal?: AbortSignal): Promise<void> {
    const body = { kind: 'taskResult' as const, schema: TaskResultSchema, value: result };
    const path = `/tasks/${encodeURIComponent(result.taskId)}/result`;
    await this.call({ method: 'POST', path, credential, body, signal });
  }

  /** GET /releases/:version/:variant: the CRDs and control-plane bundles a lifecycle task applies. */
  async releaseBundles(
    credential: string,
    release: Pick<ReleaseRef, 'version' | 'variant'>,
    signal?: AbortSignal,
  ): Promise<ReleaseBundlesResponse> {
    const path = `/releases/${encodeURIComponent(release.version)}/${encodeURIComponent(release.variant)}`;
    const res = await this.call({ method: 'GET', path, credential, signal, timeoutMs: BUNDLE_TIMEOUT_MS });
    return this.parse(ReleaseBundlesResponseSchema, res, 'release bundles');
  }

  /** POST /tasks/:id/issuer-csr: the API signs the issuer CSR made in the cluster (MANAGED identity). */
  async issuerCsr(
    credential: string,
    taskId: string,
    csrPem: string,
    signal?: AbortSignal,
  ): Promise<IssuerCsrResponse> {
    const body = { kind: 'issuerCsr' as const, schema: IssuerCsrRequestSchema, value: { csrPem } };
    const path = `/tasks/${encodeURIComponent(taskId)}/issuer-csr`;
    const res = await this.call({ method: 'POST', path, credential, body, signal });
    return this.parse(IssuerCsrResponseSchema, res, 'issuer CSR');
  }

  private parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
    const r = parseMessage(schema, value);
    if (r.ok) return r.value;
    const detail = r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    throw new GatewayError(`unexpected ${what} response: ${detail}`, 'protocol');
  }

  private encode(body: NonNullable<Call['body']>): string {
    const r = parseMessage(body.schema, body.value);
    if (!r.ok) {
      const detail = r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
      throw new GatewayError(`refusing to send an invalid ${body.kind}: ${detail}`, 'protocol');
    }
    const bytes = jsonByteLength(r.value);
    if (bytes > BODY_LIMITS[body.kind]) {
      throw new GatewayError(
        `refusing to send a ${body.kind} of ${bytes} bytes (limit ${BODY_LIMITS[body.kind]})`,
        'protocol',
        413,
      );
    }
    return JSON.stringify(r.value);
  }

  private async call(c: Call): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION),
    };
    if (c.credential) headers['authorization'] = `Bearer ${c.credential}`;
    let payload: string | undefined;
    if (c.body) {
      payload = this.encode(c.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = AbortSignal.timeout(c.timeoutMs ?? this.timeoutMs);
    const signal = c.signal ? AbortSignal.any([c.signal, timeout]) : timeout;

    let res: Response;
    try {
      res = await fetch(`${this.base}${c.path}`, { method: c.method, headers, body: payload, signal });
    } catch (e) {
      const reason = timeout.aborted ? 'timed out' : e instanceof Error ? e.message : 'request failed';
      throw new GatewayError(`${c.method} ${c.path}: ${reason}`, 'network');
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const { code, message } = errorBody(text);
      throw new GatewayError(
        `${c.method} ${c.path}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        'http',
        res.status,
        code,
        parseRetryAfter(res.headers.get('retry-after')),
      );
    }
    if (res.status === 204 || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new GatewayError(`${c.method} ${c.path}: response is not JSON`, 'protocol', res.status);
    }
  }
}

function errorBody(text: string): { code?: string; message?: string } {
  try {
    const v = JSON.parse(text) as { error?: unknown; message?: unknown };
    return {
      ...(typeof v.error === 'string' ? { code: v.error } : {}),
      ...(typeof v.message === 'string' ? { message: v.message.slice(0, 500) } : {}),
    };
  } catch {
    return text ? { message: text.slice(0, 200) } : {};
  }
}
