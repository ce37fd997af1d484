import { ArgumentsHost, Catch } from '@nestjs/common';
import { GqlExceptionFilter } from '@nestjs/graphql';
import { DomainError } from '@meshfleet/core';

/**
 * Domain errors are expected outcomes (bad input, not found): hand them to GraphQL as they are,
 * where formatGraphQLError maps the code, instead of letting Nest log them as crashes.
 */
@Catch(DomainError)
export class DomainErrorFilter implements GqlExceptionFilter {
  catch(exception: DomainError, _host: ArgumentsHost): DomainError {
    return exception;
  }
}
