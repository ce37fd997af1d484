import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { Request } from 'express';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { JwtAuthenticator } from './jwt.authenticator';
import { Principal } from './principal';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** `Authorization: Bearer <token>`: an OIDC JWT (three dot-separated parts) or an API key. */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly jwt: JwtAuthenticator,
  ) {
    super({ passReqToCallback: true });
  }

  async validate(req: Request, token: string): Promise<Principal> {
    return authenticateBearer(this.apiKeys, this.jwt, token, req.headers['x-meshfleet-organization']);
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerTokenOf(header: string | string[] | undefined): string | null {
  const m = /^Bearer (\S+)$/i.exec(typeof header === 'string' ? header : '');
  return m ? m[1]! : null;
}

/** The one rule for a bearer token, shared by the strategy and checks made before Nest runs. */
export function authenticateBearer(
  apiKeys: ApiKeyAuthenticator,
  jwt: JwtAuthenticator,
  token: string,
  organizationHint: string | string[] | undefined,
): Promise<Principal> {
  if (JWT_SHAPE.test(token) && jwt.enabled) {
    return jwt.authenticate(token, typeof organizationHint === 'string' ? organizationHint : null);
  }
  return apiKeys.authenticate(token);
}
