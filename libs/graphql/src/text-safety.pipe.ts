// Refuses, in every GraphQL argument, text no Postgres column can hold: NUL characters and
// unpaired UTF-16 surrogates (valid in a GraphQL string, an error deep in the database).
import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError } from '@meshfleet/core';

// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Path of the first string (or object key) holding unsafe text, or null. */
export function unsafeTextPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return UNSAFE_TEXT.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = unsafeTextPath(value[i], `${path}.${i}`);
      if (p) return p;
    }
    return null;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      if (UNSAFE_TEXT.test(k)) return `${path}.(key)`;
      const p = unsafeTextPath(v, `${path}.${k}`);
      if (p) return p;
    }
  }
  return null;
}

@Injectable()
export class TextSafetyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value; // the caller's principal, request meta
    const path = unsafeTextPath(value, metadata.data ?? 'input');
    if (path)
      throw new ValidationError(
        `${path} must not contain NUL characters or unpaired UTF-16 surrogates`,
        path,
      );
    return value;
  }
}
