import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodType } from 'zod';
import {
  HealthReportSchema,
  HeartbeatSchema,
  MAX_BODY_BYTES,
  parseProtocolVersion,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  TaskEvent,
  TaskEventSchema,
  TaskResult,
  TaskResultSchema,
} from '@meshfleet/agent-protocol';
import {
  AGENT_CREDENTIAL_REQUIRED,
  agentCredentialOf,
  AgentAuthenticator,
  AgentPrincipal,
} from '@meshfleet/auth';
import { DomainError, UnauthenticatedError, ValidationError } from '@meshfleet/core';
import { HTTP_STATUS } from '@meshfleet/graphql';
import { AgentGatewayService } from './agent-gateway.service';
import { AgentTasksService } from './agent-tasks.service';
import { AGENT_BASE, parseBody } from './protocol';

/** What the app does around every request (request id, metrics, access log, crash log). */
export interface HotPathHooks {
  begin(req: IncomingMessage, res: ServerResponse): void;
  /** After the response is written; route is the one Nest would report. */
  end(req: IncomingMessage, res: ServerResponse, route: string, startedAt: number): void;
  /** An unexpected error (answered 500, as Nest's exception handler does). */
  crash(e: unknown, req: IncomingMessage): void;
}

interface HotServices {
  gateway: AgentGatewayService;
  tasks: AgentTasksService;
}

interface HotRoute {
  route: string;
  limit: number;
  status: number;
  schema: ZodType<unknown>;
  /** id: the :id of the URL (task routes). */
  serve(services: HotServices, agent: AgentPrincipal, body: never, id: string): Promise<unknown>;
}

const ROUTES = new Map<string, HotRoute>([
  [
    `${AGENT_BASE}/heartbeat`,
    {
      route: `${AGENT_BASE}/heartbeat`,
      limit: MAX_BODY_BYTES.heartbeat,
      status: 200,
      schema: HeartbeatSchema,
      serve: (s, a, hb) => s.gateway.heartbeat(a, hb),
    },
  ],
  [
    `${AGENT_BASE}/reports`,
    {
      route: `${AGENT_BASE}/reports`,
      limit: MAX_BODY_BYTES.report,
      status: 202,
      schema: HealthReportSchema,
      serve: (s, a, report) => s.gateway.report(a, report),
    },
  ],
]);

/** As AgentGatewayController.taskEvent / taskResult: the body names the task of the URL. */
function sameTask(bodyTaskId: string, id: string): void {
  if (bodyTaskId !== id) throw new ValidationError('taskId does not match the URL', 'taskId');
}

const TASK_ROUTES = new Map<string, HotRoute>([
  [
    'events',
    {
      route: `${AGENT_BASE}/tasks/:id/events`,
      limit: MAX_BODY_BYTES.taskEvent,
      status: 204,
      schema: TaskEventSchema,
      serve: async (s, a, event: TaskEvent, id) => {
        sameTask(event.taskId, id);
        await s.tasks.recordEvent(a, id, event);
      },
    },
  ],
  [
    'result',
    {
      route: `${AGENT_BASE}/tasks/:id/result`,
      limit: MAX_BODY_BYTES.taskResult,
      status: 204,
      schema: TaskResultSchema,
      serve: async (s, a, result: TaskResult, id) => {
        sameTask(result.taskId, id);
        await s.tasks.recordResult(a, id, result);
      },
    },
  ],
]);

/**
 * Task URLs served here: ids of plain characters only (nothing express would URL-decode), exact
 * case, no trailing slash or query; anything else goes to the app.
 */
const TASK_URL = /^\/agent\/v1\/tasks\/([0-9A-Za-z-]{1,64})\/(events|result)$/;

function routeOf(url: string): { route: HotRoute; id: string } | undefined {
  const route = ROUTES.get(url);
  if (route) return { route, id: '' };
  const m = TASK_URL.exec(url);
  const task = m ? TASK_ROUTES.get(m[2]!) : undefined;
  return task ? { route: task, id: m![1]! } : undefined;
}

const JSON_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
const FIRST_CHAR = /^[ \t\n\r]*(.)/;
const VERSION = String(PROTOCOL_VERSION);

/**
 * The endpoints every agent calls all the time (a heartbeat every 15 s, a report every minute,
 * and during operations a task event per step and the task result), served straight from the
 * HTTP server: at fleet scale the express router, body parser, Nest guards, interceptors and
 * pino-http cost more CPU than the work itself. Same services, same contract as
 * AgentGatewayController (413, 400 with the schema issues, 401/403, 404/409, 429 + Retry-After);
 * any request that is not the plain case (other method or path, query string, protocol version or
 * content type to reject, compressed body) is left to the Nest app, so its answer is unchanged.
 */
@Injectable()
export class AgentHotPath {
  constructor(
    private readonly agents: AgentAuthenticator,
    private readonly gateway: AgentGatewayService,
    private readonly tasks: AgentTasksService,
  ) {}

  /** Serves the request and returns true, or returns false and leaves it to the app. */
  handle(req: IncomingMessage, res: ServerResponse, hooks: HotPathHooks): boolean {
    if (req.method !== 'POST') return false;
    const matched = routeOf(req.url ?? '');
    if (!matched) return false;
    const { route, id } = matched;
    const h = req.headers;
    if (parseProtocolVersion(h[PROTOCOL_VERSION_HEADER]) === null) return false;
    if (!JSON_TYPE.test(h['content-type'] ?? '')) return false;
    const encoding = h['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;

    const startedAt = performance.now();
    hooks.begin(req, res);
    res.once('finish', () => hooks.end(req, res, route.route, startedAt));
    const declared = h['content-length'];
    if (declared !== undefined && Number(declared) > route.limit) {
      tooLarge(res);
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > route.limit) {
        over = true;
        tooLarge(res);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      const text =
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      let body: unknown;
      try {
        body = parseJson(text);
      } catch (e) {
        send(res, 400, {
          error: 'BAD_USER_INPUT',
          message: `Malformed JSON: ${e instanceof Error ? e.message : ''}`,
        });
        return;
      }
      this.serve(route, h.authorization, body, id).then(
        (out) => send(res, route.status, out),
        (e: unknown) => this.fail(res, e, req, hooks),
      );
    });
    req.on('error', () => req.destroy());
    return true;
  }

  private async serve(
    route: HotRoute,
    authorization: string | undefined,
    body: unknown,
    id: string,
  ): Promise<unknown> {
    const token = agentCredentialOf(authorization);
    if (!token) throw new UnauthenticatedError(AGENT_CREDENTIAL_REQUIRED);
    const agent = await this.agents.authenticate(token);
    this.gateway.limit(agent);
    return route.serve(
      { gateway: this.gateway, tasks: this.tasks },
      agent,
      parseBody(route.schema, body) as never,
      id,
    );
  }

  private fail(res: ServerResponse, e: unknown, req: IncomingMessage, hooks: HotPathHooks): void {
    if (e instanceof DomainError) {
      const retryAfter = e.details['retryAfterSeconds'];
      const headers: Record<string, string> = {};
      if (typeof retryAfter === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
      send(res, HTTP_STATUS[e.code], { error: e.code, message: e.message, details: e.details }, headers);
      return;
    }
    hooks.crash(e, req);
    send(res, 500, { statusCode: 500, message: 'Internal server error' });
  }
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

function tooLarge(res: ServerResponse): void {
  send(res, 413, { error: 'PAYLOAD_TOO_LARGE', message: 'Body exceeds request entity too large' });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  if (status === 204) {
    // No content, as express sends a 204: no body, no content type or length.
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
