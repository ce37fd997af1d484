import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Role } from '@meshfleet/db';
import { requestOf } from './request';
import { Actor, Principal } from './principal';
import type { AgentPrincipal } from './agent.authenticator';
import { UnauthenticatedError } from '@meshfleet/core';

export const ACCESS_POLICY = 'meshfleet:access';

export type AccessPolicy = { public: true } | { public: false; role: Role } | { public: false; agent: true };

/** Anyone may call this, authenticated or not. */
export const Public = () => SetMetadata(ACCESS_POLICY, { public: true } satisfies AccessPolicy);

/** Only an enrolled agent, with its per-cluster credential, may call this. */
export const AgentOnly = () =>
  SetMetadata(ACCESS_POLICY, { public: false, agent: true } satisfies AccessPolicy);

/** The caller needs at least this role in the organization. */
export const Allow = (role: Role) =>
  SetMetadata(ACCESS_POLICY, { public: false, role } satisfies AccessPolicy);

function principalOf(ctx: ExecutionContext): Principal {
  const req = requestOf(ctx);
  const user = (req as { user?: Principal }).user;
  if (!user) throw new UnauthenticatedError();
  return user;
}

/** The authenticated caller plus request metadata (for auditing). */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = requestOf(ctx);
  const principal = principalOf(ctx);
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === 'string' ? v : null;
  };
  return {
    ...principal,
    ip: req.ip ?? req.socket?.remoteAddress ?? null,
    userAgent: header('user-agent'),
    requestId:
      typeof (req as { id?: unknown }).id === 'string' ? ((req as { id?: string }).id ?? null) : null,
  };
});

export const CurrentAgent = createParamDecorator((_: unknown, ctx: ExecutionContext): AgentPrincipal => {
  const agent = (requestOf(ctx) as { agent?: AgentPrincipal }).agent;
  if (!agent) throw new UnauthenticatedError('Agent credential required');
  return agent;
});

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal =>
  principalOf(ctx),
);

export { GqlExecutionContext };
