// One way to validate a message on both sides: a typed value, or a list of issues with paths
// (the API returns them in its 400 body; the agent logs them).
import type { z } from 'zod';

export interface ProtocolIssue {
  /** Dotted path into the message, e.g. "mtls.namespaces.3.name"; "" for the root. */
  path: string;
  message: string;
  code: string;
}

/** Thrown by parseOrThrow. Deliberately independent of other @meshfleet libs. */
export class ProtocolValidationError extends Error {
  constructor(readonly issues: ProtocolIssue[]) {
    super(`invalid message: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ProtocolValidationError';
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ProtocolIssue[] };

function toIssues(error: z.ZodError): ProtocolIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'symbol' ? p.toString() : String(p))).join('.'),
    message: i.message,
    code: i.code,
  }));
}

/** Validates without throwing. */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown): ParseResult<z.infer<S>> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

/** Validates and returns the typed value, or throws ProtocolValidationError with every issue. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = parseMessage(schema, value);
  if (!r.ok) throw new ProtocolValidationError(r.issues);
  return r.value;
}
