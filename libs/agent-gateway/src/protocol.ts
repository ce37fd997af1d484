// Transport helpers for the agent gateway: protocol version, body limits, schema validation.
import express, { NextFunction, Request, Response } from 'express';
import type { ZodType } from 'zod';
import {
  MAX_BODY_BYTES,
  parseMessage,
  parseProtocolVersion,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@meshfleet/agent-protocol';
import { ValidationError } from '@meshfleet/core';

export const AGENT_BASE = '/agent/v1';

/** Validates a body against a protocol schema; 400 names every bad path. */
export function parseBody<T>(schema: ZodType<T>, body: unknown): T {
  const r = parseMessage(schema, body);
  if (r.ok) return r.value;
  const issues = r.issues.slice(0, 20);
  throw new ValidationError(
    `Invalid payload: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    issues[0]?.path || undefined,
    { issues },
  );
}

function sendError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

/** Express middleware for /agent/v1: version header, per-message body limits, JSON errors. */
export function agentHttpMiddleware(): express.Router {
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader(PROTOCOL_VERSION_HEADER, String(PROTOCOL_VERSION));
    const raw = req.headers[PROTOCOL_VERSION_HEADER];
    if (parseProtocolVersion(raw) === null) {
      return sendError(
        res,
        400,
        'UNSUPPORTED_PROTOCOL_VERSION',
        `Header ${PROTOCOL_VERSION_HEADER} must be one of ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')} (got ${JSON.stringify(raw ?? null)})`,
      );
    }
    next();
  });
  const limits: [string, number][] = [
    ['/enroll', MAX_BODY_BYTES.enroll],
    ['/heartbeat', MAX_BODY_BYTES.heartbeat],
    ['/reports', MAX_BODY_BYTES.report],
    ['/tasks/:id/events', MAX_BODY_BYTES.taskEvent],
    ['/tasks/:id/result', MAX_BODY_BYTES.taskResult],
    ['/tasks/:id/issuer-csr', 32 * 1024],
  ];
  for (const [path, limit] of limits) router.post(path, express.json({ limit, strict: true }));
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.too.large')
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Body exceeds ${e.message ?? 'the limit'}`);
    if (e?.status === 400) return sendError(res, 400, 'BAD_USER_INPUT', `Malformed JSON: ${e.message ?? ''}`);
    next(err);
  });
  return router;
}
