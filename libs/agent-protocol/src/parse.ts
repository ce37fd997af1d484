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

// NUL and unpaired UTF-16 surrogates are valid in a JS string and in JSON text, but no Postgres
// text or jsonb value can hold them: refused in every string and object key of every message.
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSAFE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** Where the value holds text no database can store (first few places, by path). */
export function unsafeTextIssues(value: unknown, max = 10): ProtocolIssue[] {
  const out: ProtocolIssue[] = [];
  const walk = (v: unknown, path: string[]): void => {
    if (out.length >= max) return;
    if (typeof v === 'string') {
      if (UNSAFE_TEXT.test(v))
        out.push({ path: path.join('.'), message: UNSAFE_MESSAGE, code: 'invalid_text' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (UNSAFE_TEXT.test(k))
          out.push({ path: [...path, '(key)'].join('.'), message: UNSAFE_MESSAGE, code: 'invalid_text' });
        walk(x, [...path, k]);
      }
    }
  };
  walk(value, []);
  return out;
}

/** Validates without throwing. */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown): ParseResult<z.infer<S>> {
  const unsafe = unsafeTextIssues(value);
  if (unsafe.length) return { ok: false, issues: unsafe };
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: toIssues(r.error) };
}

/** Validates and returns the typed value, or throws ProtocolValidationError with every issue. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = parseMessage(schema, value);
  if (!r.ok) throw new ProtocolValidationError(r.issues);
  return r.value;
}
