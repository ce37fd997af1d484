import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, ForbiddenError, UnauthenticatedError } from '@meshfleet/core';
import { ACCESS_POLICY, AccessPolicy } from './access.decorators';
import { Principal, roleAtLeast } from './principal';
import { requestOf } from './request';
import {
  AGENT_CREDENTIAL_REQUIRED,
  agentCredentialOf,
  AgentAuthenticator,
  AgentPrincipal,
} from './agent.authenticator';

/**
 * Global guard. Fails closed: a handler without @Public() or @Allow(role) is refused,
 * so forgetting an access policy can never expose data.
 */
@Injectable()
export class AccessGuard extends AuthGuard('bearer') {
  private readonly log = new Logger(AccessGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly agents: AgentAuthenticator,
  ) {
    super();
  }

  override getRequest(ctx: ExecutionContext) {
    return requestOf(ctx);
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!policy) {
      this.log.error(`${ctx.getClass().name}.${ctx.getHandler().name} has no access policy`);
      throw new ForbiddenError('This operation has no access policy');
    }
    if (policy.public) return true;
    if ('agent' in policy) {
      const req = requestOf(ctx) as ReturnType<typeof requestOf> & { agent?: AgentPrincipal };
      const token = agentCredentialOf(req.headers.authorization);
      if (!token) throw new UnauthenticatedError(AGENT_CREDENTIAL_REQUIRED);
      req.agent = await this.agents.authenticate(token);
      return true;
    }
    await super.canActivate(ctx);
    const principal = (requestOf(ctx) as { user?: Principal }).user;
    if (!principal) throw new UnauthenticatedError();
    if (!roleAtLeast(principal.role, policy.role)) {
      throw new ForbiddenError(`This needs the ${policy.role} role; you have ${principal.role}`);
    }
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof DomainError) throw err;
    if (err || !user)
      throw new UnauthenticatedError('Authentication required: send Authorization: Bearer <key>');
    return user;
  }
}
