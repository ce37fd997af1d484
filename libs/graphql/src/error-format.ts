// The one place domain errors become GraphQL errors with extensions.code.
import { HttpException } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError } from '@meshfleet/core';

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

/** The first domain or HTTP error in the cause chain, else the innermost error. */
function originalOf(error: unknown): unknown {
  let e = error;
  while (e instanceof GraphQLError && e.originalError && e.originalError !== e) {
    if (e.originalError instanceof DomainError || e.originalError instanceof HttpException)
      return e.originalError;
    e = e.originalError;
  }
  return e;
}

export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onInternal: (e: unknown) => void,
): GraphQLFormattedError {
  const original = originalOf(error);
  if (original instanceof DomainError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { ...original.details, code: original.code },
    };
  }
  if (original instanceof HttpException) {
    const code = HTTP_CODES[original.getStatus()] ?? 'INTERNAL_SERVER_ERROR';
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code },
    };
  }
  // Variable coercion fails before execution (no path); it is the caller's input that is wrong.
  if (
    !formatted.path &&
    /^Variable "\$[A-Za-z_][A-Za-z0-9_]*" (got invalid value|of required type)/.test(formatted.message)
  ) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      extensions: { code: 'BAD_USER_INPUT' },
    };
  }
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    // Parse, validation and variable-coercion errors from GraphQL itself are safe to show.
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code },
    };
  }
  onInternal(original);
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
