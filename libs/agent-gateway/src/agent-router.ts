import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { z } from 'zod';
import {
  AGENT_API_BASE,
  AGENT_ERROR_STATUS,
  AGENT_ROUTE_NAMES,
  AGENT_ROUTES,
  AgentErrorCode,
  AgentRouteName,
  AgentRoutes,
  AgentRouteSpec,
  INTERNAL_ERROR_BODY,
  jsonTextMayHoldUnsafeText,
  parseMessage,
  parseProtocolVersion,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@meshfleet/agent-protocol';
import {
  AGENT_CREDENTIAL_REQUIRED,
  agentCredentialOf,
  AgentAuthenticator,
  AgentPrincipal,
} from '@meshfleet/auth';
import { DomainError, ErrorCode, UnauthenticatedError, ValidationError } from '@meshfleet/core';
import { AgentGatewayService } from './agent-gateway.service';

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type Answer<S> = S extends z.ZodType ? z.input<S> : void;

/** What a handler gets: everything already authenticated and validated against the route table. */
export interface AgentRequest<R extends AgentRouteSpec> {
  agent: R['auth'] extends 'agent-credential' ? AgentPrincipal : null;
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  client: { ip: string | null; userAgent: string | null; requestId: string };
  /** Aborted when the caller goes away (a long-poll stops waiting). */
  signal: AbortSignal;
}

/** A handler as the router holds it, whatever its route. */
type AnyHandler = (
  req: Omit<AgentRequest<AgentRouteSpec>, 'agent'> & { agent: AgentPrincipal | null },
) => Promise<unknown>;

export type AgentRouteHandler<N extends AgentRouteName> = (
  req: AgentRequest<AgentRoutes[N]>,
) => Promise<Answer<AgentRoutes[N]['response']>>;

/** What the app does around every request (request id, metrics, access log, crash log). */
export interface AgentRouterHooks {
  /** Before anything is answered; returns the request id. */
  begin(req: IncomingMessage, res: ServerResponse): string;
  /** After the response is written; route is the table's path, or "other". */
  end(req: IncomingMessage, res: ServerResponse, route: string, startedAt: number): void;
  /** An unexpected error (answered 500 without details). */
  crash(e: unknown, req: IncomingMessage): void;
}

/** Every domain error code has its status in the protocol's table (a compile error otherwise). */
const DOMAIN_STATUS: Record<ErrorCode, number> = AGENT_ERROR_STATUS;

/** An answer of the transport itself (not a domain outcome). */
class TransportError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface CompiledRoute {
  name: AgentRouteName;
  spec: AgentRouteSpec;
  pattern: RegExp;
  keys: string[];
  /** The metrics and log label, e.g. /agent/v1/tasks/:id/events. */
  label: string;
}

/** Express semantics, which agents were served with before: case-insensitive, optional trailing slash. */
function compile(name: AgentRouteName, spec: AgentRouteSpec): CompiledRoute {
  const keys: string[] = [];
  const source = spec.path
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:([A-Za-z]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
  return {
    name,
    spec,
    pattern: new RegExp(`^${source}/?$`, 'i'),
    keys,
    label: `${AGENT_API_BASE}${spec.path}`,
  };
}

const COMPILED = AGENT_ROUTE_NAMES.map((n) => compile(n, AGENT_ROUTES[n]));
const BASE = AGENT_API_BASE.toLowerCase();
const VERSION = String(PROTOCOL_VERSION);
const FIRST_CHAR = /^[ \t\n\r]*(.)/;
const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** The path below /agent/v1 of a URL under it, or null for any other URL. */
function agentPathOf(url: string): string | null {
  if (url.length < BASE.length || url.slice(0, BASE.length).toLowerCase() !== BASE) return null;
  const rest = url.slice(BASE.length);
  if (rest !== '' && rest[0] !== '/' && rest[0] !== '?') return null;
  const q = rest.indexOf('?');
  return q < 0 ? rest : rest.slice(0, q);
}

/**
 * The one router of /agent/v1, driven by AGENT_ROUTES. It is mounted on the HTTP server ahead of
 * express: agents call all the time (a heartbeat every 15 s, a report a minute, a task event per
 * step), and at fleet scale the express router, body parser, Nest guards and interceptors would
 * cost more CPU than the work itself. Features register their handlers with serve(); the
 * application does not start while a route of the table has none.
 */
@Injectable()
export class AgentRouter implements OnApplicationBootstrap {
  private readonly handlers = new Map<AgentRouteName, AnyHandler>();

  constructor(
    private readonly agents: AgentAuthenticator,
    private readonly gateway: AgentGatewayService,
  ) {}

  serve<N extends AgentRouteName>(name: N, handler: AgentRouteHandler<N>): void {
    if (this.handlers.has(name)) throw new TypeError(`agent route ${name} is served twice`);
    this.handlers.set(name, handler as unknown as AnyHandler);
  }

  onApplicationBootstrap(): void {
    const missing = AGENT_ROUTE_NAMES.filter((n) => !this.handlers.has(n));
    if (missing.length) throw new TypeError(`agent routes without a handler: ${missing.join(', ')}`);
  }

  /** Answers a request under /agent/v1 and returns true; returns false for any other URL. */
  handle(req: IncomingMessage, res: ServerResponse, hooks: AgentRouterHooks): boolean {
    const url = req.url ?? '';
    const path = agentPathOf(url);
    if (path === null) return false;
    const startedAt = performance.now();
    const requestId = hooks.begin(req, res);
    let route: CompiledRoute | undefined;
    let match: RegExpExecArray | null = null;
    const allowed: string[] = [];
    for (const r of COMPILED) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      if (r.spec.method === req.method) {
        route = r;
        match = m;
        break;
      }
      allowed.push(r.spec.method);
    }
    res.once('finish', () => hooks.end(req, res, route?.label ?? 'other', startedAt));
    this.answer(req, res, route, match, url, allowed, requestId).catch((e: unknown) => {
      if (e instanceof TransportError || e instanceof DomainError) return fail(res, e);
      hooks.crash(e, req);
      send(res, 500, INTERNAL_ERROR_BODY);
    });
    return true;
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    route: CompiledRoute | undefined,
    match: RegExpExecArray | null,
    url: string,
    allowed: string[],
    requestId: string,
  ): Promise<void> {
    const h = req.headers;
    if (parseProtocolVersion(h[PROTOCOL_VERSION_HEADER]) === null) {
      req.resume();
      throw new TransportError(
        'UNSUPPORTED_PROTOCOL_VERSION',
        `Header ${PROTOCOL_VERSION_HEADER} must be one of ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')} (got ${JSON.stringify(h[PROTOCOL_VERSION_HEADER] ?? null)})`,
      );
    }
    if (!route || !match) {
      req.resume();
      const where = `${req.method} ${url.split('?')[0]}`;
      if (allowed.length)
        throw new TransportError('METHOD_NOT_ALLOWED', `${where}: use ${allowed.join(', ')}`, {
          allow: allowed.join(', '),
        });
      throw new TransportError('NOT_FOUND', `No agent route ${where}`);
    }
    const { spec } = route;
    // The body first, as express parsed it before the guards: a bad body is 4xx even unauthenticated.
    let raw: JsonBody | undefined;
    if (spec.method === 'POST') raw = await readJson(req, spec.bodyLimit);
    else req.resume();

    let agent: AgentPrincipal | null = null;
    if (spec.auth === 'agent-credential') {
      const token = agentCredentialOf(h.authorization);
      if (!token) throw new UnauthenticatedError(AGENT_CREDENTIAL_REQUIRED);
      agent = await this.agents.authenticate(token);
      if (spec.rateLimited) this.gateway.limit(agent);
    }
    const params = spec.params ? checked(spec.params, pathParams(route, match), 'path') : undefined;
    const query = spec.query ? checked(spec.query, queryOf(url), 'query') : undefined;
    const body = spec.body ? parseBody(spec.body, raw?.value, raw?.textKnownSafe) : undefined;

    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const ua = h['user-agent'];
    const out = await this.handlers.get(route.name)!({
      agent,
      params,
      query,
      body,
      client: { ip: clientIp(req), userAgent: typeof ua === 'string' ? ua : null, requestId },
      signal: abort.signal,
    });
    send(res, spec.status, spec.response ? out : undefined);
  }
}

/** Validates a body against a protocol schema; the 400 names every bad path. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, textKnownSafe = false): T {
  const r = parseMessage(schema, body, { textKnownSafe });
  if (r.ok) return r.value;
  const issues = r.issues.slice(0, 20);
  throw new ValidationError(
    `Invalid payload: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    issues[0]?.path || undefined,
    { issues },
  );
}

/** Path and query values: the schemas' own messages name the field. */
function checked<T>(schema: z.ZodType<T>, value: unknown, where: 'path' | 'query'): T {
  const r = parseMessage(schema, value);
  if (r.ok) return r.value;
  throw new ValidationError(r.issues.map((i) => i.message).join('; '), r.issues[0]?.path || undefined, {
    in: where,
    issues: r.issues,
  });
}

function pathParams(route: CompiledRoute, match: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  route.keys.forEach((key, i) => {
    try {
      out[key] = decodeURIComponent(match[i + 1]!);
    } catch {
      throw new ValidationError(`Malformed URL: ${key} is not a valid URI component`, key);
    }
  });
  return out;
}

/** Repeated keys become arrays, which the schemas refuse. */
function queryOf(url: string): Record<string, string | string[]> {
  const q = url.indexOf('?');
  const out: Record<string, string | string[]> = {};
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

/** As express with `trust proxy` on: the left-most X-Forwarded-For address, else the peer's. */
function clientIp(req: IncomingMessage): string | null {
  const xff = req.headers['x-forwarded-for'];
  const first = typeof xff === 'string' ? xff.split(',')[0]!.trim() : '';
  return first || req.socket.remoteAddress || null;
}

/** A parsed body, and whether its text was cleared of escapes that could bring unsafe text in. */
interface JsonBody {
  value: unknown;
  textKnownSafe: boolean;
}

/** The JSON body: 415 when not JSON, 413 over the limit (declared or counted), 400 when malformed. */
function readJson(req: IncomingMessage, limit: number): Promise<JsonBody> {
  const [mediaType, ...parameters] = (req.headers['content-type'] ?? '').split(';');
  if (mediaType!.trim().toLowerCase() !== 'application/json') {
    req.resume();
    return Promise.reject(
      new TransportError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'),
    );
  }
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    req.resume();
    return Promise.reject(new TransportError('UNSUPPORTED_MEDIA_TYPE', `Unsupported charset ${charset}`));
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let source: Readable = req;
  if (encoding !== 'identity') {
    const decoder = DECODERS[encoding];
    if (!decoder) {
      req.resume();
      return Promise.reject(
        new TransportError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Encoding ${encoding}`),
      );
    }
    source = req.pipe(decoder());
  } else {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      req.resume();
      return Promise.reject(tooLarge(limit));
    }
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    source.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      over = true;
      chunks.length = 0;
      if (source !== req) (source as zlib.Gunzip).destroy();
      req.resume();
      reject(tooLarge(limit));
    });
    source.on('error', (e) => {
      if (over) return;
      if (source !== req) reject(new ValidationError(`Malformed ${encoding} body: ${e.message}`));
      else req.destroy();
    });
    source.on('end', () => {
      if (over) return;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
      try {
        resolve({ value: parseJson(text), textKnownSafe: !jsonTextMayHoldUnsafeText(text) });
      } catch (e) {
        reject(new ValidationError(`Malformed JSON: ${e instanceof Error ? e.message : ''}`));
      }
    });
  });
}

/** JSON.parse as express.json({ strict: true }) does it: an empty body is {}, else an object/array. */
function parseJson(raw: string): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw; // a UTF-8 BOM, as body-parser drops it
  if (text.length === 0) return {};
  const first = FIRST_CHAR.exec(text)?.[1];
  if (first !== '{' && first !== '[') {
    throw new SyntaxError(`Unexpected token ${first ?? 'end of input'} in JSON at position 0`);
  }
  return JSON.parse(text);
}

function tooLarge(limit: number): TransportError {
  return new TransportError('PAYLOAD_TOO_LARGE', `Body exceeds the limit of ${limit} bytes`);
}

function fail(res: ServerResponse, e: TransportError | DomainError): void {
  if (e instanceof TransportError) {
    send(res, AGENT_ERROR_STATUS[e.code], { error: e.code, message: e.message }, e.headers);
    return;
  }
  const headers: Record<string, string> = {};
  const retryAfter = e.details['retryAfterSeconds'];
  if (typeof retryAfter === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  send(res, DOMAIN_STATUS[e.code], { error: e.code, message: e.message, details: e.details }, headers);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  if (status === 204 || body === undefined) {
    // No content: no body, no content type or length.
    res.writeHead(status, { ...headers, [PROTOCOL_VERSION_HEADER]: VERSION });
    res.end();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    [PROTOCOL_VERSION_HEADER]: VERSION,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}
