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
    if (JWT_SHAPE.test(token) && this.jwt.enabled) {
      const hint = req.headers['x-meshfleet-organization'];
      return this.jwt.authenticate(token, typeof hint === 'string' ? hint : null);
    }
    return this.apiKeys.authenticate(token);
  }
}
