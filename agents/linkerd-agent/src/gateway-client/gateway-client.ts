// HTTP client for the API's agent gateway (`/agent/v1`), built from the protocol's route table:
// every body is validated against the route's schema and size limit before it leaves, and every
// answer against the route's response schema before it is trusted; the protocol version travels
// on every request.
import {
  AGENT_ROUTES,
  agentRoutePath,
  AgentRouteName,
  jsonByteLength,
  parseMessage,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  type EnrollRequestInput,
  type ExtensionBundleResponse,
  type ExtensionName,
  type EnrollResponse,
  type HealthReportInput,
  type HeartbeatInput,
  type HeartbeatResponse,
  type IssuerCsrResponse,
  type ReleaseBundlesResponse,
  type ReleaseRef,
  type TaskEnvelope,
  type TaskEventInput,
  type TaskResultInput,
} from '@meshfleet/agent-protocol';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { z } from 'zod';
import { GatewayError, parseRetryAfter } from './gateway-error';

export interface GatewayClientOptions {
  /** API base URL, e.g. https://meshfleet.example.com (the client appends /agent/v1). */
  apiUrl: string;
  /** Timeout of ordinary requests; long-polls add their wait time to it. */
  requestTimeoutMs?: number;
  /** Bodies larger than this go gzip-compressed (default 16 KiB; a large cluster's report is ~0.5 MiB of JSON). */
  compressAboveBytes?: number;
  /** Told the size of every body sent: as JSON, and as it went on the wire. */
  onSent?: (route: AgentRouteName, jsonBytes: number, wireBytes: number) => void;
}

const gzipAsync = promisify(gzip);

/** Release bundles can be large (CRD schemas); allow more than an ordinary request. */
const BUNDLE_TIMEOUT_MS = 60_000;

interface Call {
  route: AgentRouteName;
  /** The URL path, from agentRoutePath. */
  path: string;
  credential?: string;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

type Answer<N extends AgentRouteName> = (typeof AGENT_ROUTES)[N]['response'] extends z.ZodType
  ? z.output<(typeof AGENT_ROUTES)[N]['response']>
  : undefined;

/** What the error messages call each route's answer. */
const WHAT: Record<AgentRouteName, string> = {
  enroll: 'enroll',
  heartbeat: 'heartbeat',
  report: 'report',
  nextTask: 'task poll',
  taskEvent: 'task event',
  taskResult: 'task result',
  releaseBundles: 'release bundles',
  extensionBundle: 'extension bundle',
  issuerCsr: 'issuer CSR',
};

export class GatewayClient {
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly compressAbove: number;
  /** Set after an API answered 415 to a compressed body: it predates Content-Encoding support. */
  private identityOnly = false;

  constructor(private readonly options: GatewayClientOptions) {
    this.origin = options.apiUrl.replace(/\/+$/, '');
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.compressAbove = options.compressAboveBytes ?? 16 * 1024;
  }

  enroll(req: EnrollRequestInput, signal?: AbortSignal): Promise<EnrollResponse> {
    const path = agentRoutePath(AGENT_ROUTES.enroll, {});
    return this.send({ route: 'enroll', path, body: req, signal });
  }

  heartbeat(credential: string, hb: HeartbeatInput, signal?: AbortSignal): Promise<HeartbeatResponse> {
    const path = agentRoutePath(AGENT_ROUTES.heartbeat, {});
    return this.send({ route: 'heartbeat', path, credential, body: hb, signal });
  }

  async report(credential: string, report: HealthReportInput, signal?: AbortSignal): Promise<boolean> {
    const path = agentRoutePath(AGENT_ROUTES.report, {});
    return (await this.send({ route: 'report', path, credential, body: report, signal })).accepted;
  }

  /** Long-poll: the API holds the request up to `waitSeconds` and answers null when idle. */
  async nextTask(
    credential: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<TaskEnvelope | null> {
    const path = agentRoutePath(AGENT_ROUTES.nextTask, {}, { waitSeconds });
    const timeoutMs = waitSeconds * 1000 + this.timeoutMs;
    return (await this.send({ route: 'nextTask', path, credential, signal, timeoutMs })).task;
  }

  async taskEvent(credential: string, event: TaskEventInput, signal?: AbortSignal): Promise<void> {
    const path = agentRoutePath(AGENT_ROUTES.taskEvent, { id: event.taskId });
    await this.send({ route: 'taskEvent', path, credential, body: event, signal });
  }

  async taskResult(credential: string, result: TaskResultInput, signal?: AbortSignal): Promise<void> {
    const path = agentRoutePath(AGENT_ROUTES.taskResult, { id: result.taskId });
    await this.send({ route: 'taskResult', path, credential, body: result, signal });
  }

  /** The CRDs and control-plane bundles a lifecycle task applies. */
  releaseBundles(
    credential: string,
    release: Pick<ReleaseRef, 'version' | 'variant'>,
    signal?: AbortSignal,
  ): Promise<ReleaseBundlesResponse> {
    const path = agentRoutePath(AGENT_ROUTES.releaseBundles, release);
    return this.send({ route: 'releaseBundles', path, credential, signal, timeoutMs: BUNDLE_TIMEOUT_MS });
  }

  /** The bundle an extension task applies. */
  extensionBundle(
    credential: string,
    ref: { version: string; extension: ExtensionName },
    signal?: AbortSignal,
  ): Promise<ExtensionBundleResponse> {
    const path = agentRoutePath(AGENT_ROUTES.extensionBundle, ref);
    return this.send({ route: 'extensionBundle', path, credential, signal, timeoutMs: BUNDLE_TIMEOUT_MS });
  }

  /** The API signs the issuer CSR made in the cluster (MANAGED identity). */
  issuerCsr(
    credential: string,
    taskId: string,
    csrPem: string,
    signal?: AbortSignal,
  ): Promise<IssuerCsrResponse> {
    const path = agentRoutePath(AGENT_ROUTES.issuerCsr, { id: taskId });
    return this.send({ route: 'issuerCsr', path, credential, body: { csrPem }, signal });
  }

  /** One call: the body checked before it leaves, the answer checked against the route's schema. */
  private async send<N extends AgentRouteName>(c: Call & { route: N }): Promise<Answer<N>> {
    const value = await this.call(c);
    const schema = AGENT_ROUTES[c.route].response;
    if (!schema) return undefined as Answer<N>;
    const r = parseMessage(schema, value);
    if (r.ok) return r.value as Answer<N>;
    const detail = r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    throw new GatewayError(`unexpected ${WHAT[c.route]} response: ${detail}`, 'protocol');
  }

  private encode(name: AgentRouteName, value: unknown): string {
    const route = AGENT_ROUTES[name];
    const r = parseMessage(route.body ?? z.undefined(), value);
    if (!r.ok) {
      const detail = r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
      throw new GatewayError(`refusing to send an invalid ${name}: ${detail}`, 'protocol');
    }
    const bytes = jsonByteLength(r.value);
    if (bytes > route.bodyLimit) {
      throw new GatewayError(
        `refusing to send a ${name} of ${bytes} bytes (limit ${route.bodyLimit})`,
        'protocol',
        413,
      );
    }
    return JSON.stringify(r.value);
  }

  private async call(c: Call): Promise<unknown> {
    const { method } = AGENT_ROUTES[c.route];
    const json = method === 'POST' ? this.encode(c.route, c.body) : undefined;
    const jsonBytes = json === undefined ? 0 : Buffer.byteLength(json);
    if (json !== undefined && jsonBytes > this.compressAbove && !this.identityOnly) {
      try {
        return await this.request(c, json, jsonBytes, await gzipAsync(json));
      } catch (e) {
        if (!(e instanceof GatewayError && e.status === 415)) throw e;
        this.identityOnly = true;
      }
    }
    return this.request(c, json, jsonBytes);
  }

  private async request(
    c: Call,
    json: string | undefined,
    jsonBytes: number,
    gzipped?: Buffer,
  ): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION),
    };
    if (c.credential) headers['authorization'] = `Bearer ${c.credential}`;
    const { method } = AGENT_ROUTES[c.route];
    const payload = gzipped ?? json;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      if (gzipped) headers['content-encoding'] = 'gzip';
      this.options.onSent?.(c.route, jsonBytes, gzipped ? gzipped.length : jsonBytes);
    }
    const timeout = AbortSignal.timeout(c.timeoutMs ?? this.timeoutMs);
    const signal = c.signal ? AbortSignal.any([c.signal, timeout]) : timeout;

    let res: Response;
    try {
      res = await fetch(`${this.origin}${c.path}`, { method, headers, body: payload, signal });
    } catch (e) {
      const reason = timeout.aborted ? 'timed out' : e instanceof Error ? e.message : 'request failed';
      throw new GatewayError(`${method} ${c.path}: ${reason}`, 'network');
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const { code, message } = errorBody(text);
      throw new GatewayError(
        `${method} ${c.path}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
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
      throw new GatewayError(`${method} ${c.path}: response is not JSON`, 'protocol', res.status);
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
