import { ArgumentsHost, Catch } from '@nestjs/common';
import { GqlExceptionFilter } from '@nestjs/graphql';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '@meshfleet/core';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  FAILED_PRECONDITION: 412,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

/**
 * Domain errors are expected outcomes (bad input, not found). For GraphQL they go back to Apollo
 * as they are (formatGraphQLError maps the code); for REST (the agent gateway) they become an
 * HTTP status with a JSON reason. Either way Nest does not log them as crashes.
 */
@Catch(DomainError)
export class DomainErrorFilter implements GqlExceptionFilter {
  catch(exception: DomainError, host: ArgumentsHost): DomainError | void {
    if (host.getType<string>() !== 'http') return exception;
    const res = host.switchToHttp().getResponse<Response>();
    const retryAfter = exception.details['retryAfterSeconds'];
    if (typeof retryAfter === 'number')
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
    res
      .status(HTTP_STATUS[exception.code])
      .json({ error: exception.code, message: exception.message, details: exception.details });
  }
}
