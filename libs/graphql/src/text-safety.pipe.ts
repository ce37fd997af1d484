// Refuses, in every GraphQL argument, text no Postgres column can hold: NUL characters and
// unpaired UTF-16 surrogates (valid in a GraphQL string, an error deep in the database). The rule
// is the agent protocol's (`unsafeTextIssues`), so both doors refuse the same text.
import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { unsafeTextIssues } from '@meshfleet/agent-protocol';
import { ValidationError } from '@meshfleet/core';

@Injectable()
export class TextSafetyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value; // the caller's principal, request meta
    const [issue] = unsafeTextIssues(value, 1);
    if (issue) {
      const path = [metadata.data ?? 'input', issue.path].filter(Boolean).join('.');
      throw new ValidationError(`${path} ${issue.message}`, path);
    }
    return value;
  }
}
