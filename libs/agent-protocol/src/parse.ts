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
const UNSAFE_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** One pass over the UTF-16 code units (this runs on every report: no regex, no allocation). */
function unsafeText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return true;
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return true; // a low surrogate without its high one
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true; // a high one without its low one
    i++;
  }
  return false;
}

function anyUnsafe(v: unknown): boolean {
  if (typeof v === 'string') return unsafeText(v);
  if (Array.isArray(v)) {
    for (const x of v) if (anyUnsafe(x)) return true;
    return false;
  }
  if (v !== null && typeof v === 'object') {
    for (const k in v) {
      if (unsafeText(k) || anyUnsafe((v as Record<string, unknown>)[k])) return true;
    }
  }
  return false;
}

/** Where the value holds text no database can store (first few places, by path). */
export function unsafeTextIssues(value: unknown, max = 10): ProtocolIssue[] {
  if (!anyUnsafe(value)) return [];
  const out: ProtocolIssue[] = [];
  const walk = (v: unknown, path: string[]): void => {
    if (out.length >= max) return;
    if (typeof v === 'string') {
      if (unsafeText(v)) out.push({ path: path.join('.'), message: UNSAFE_MESSAGE, code: 'invalid_text' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (unsafeText(k))
          out.push({ path: [...path, '(key)'].join('.'), message: UNSAFE_MESSAGE, code: 'invalid_text' });
        walk(x, [...path, k]);
      }
    }
  };
  walk(value, []);
  return out;
}

/**
 * Whether a value parsed from this JSON text can hold text that `unsafeTextIssues` refuses.
 * Text decoded from UTF-8 has no unpaired surrogates (the decoder puts U+FFFD in their place) and
 * JSON allows no raw control character in a string, so only a `\u` escape can bring a NUL or an
 * unpaired surrogate in. When this is false, the walk over the parsed value can be skipped.
 */
export function jsonTextMayHoldUnsafeText(text: string): boolean {
  return text.includes('\\u');
}

export interface ParseOptions {
  /** The value was parsed from JSON text that `jsonTextMayHoldUnsafeText` cleared. */
  textKnownSafe?: boolean;
}

/** Validates without throwing. */
export function parseMessage<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: ParseOptions = {},
): ParseResult<z.infer<S>> {
  const unsafe = options.textKnownSafe ? [] : unsafeTextIssues(value);
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
