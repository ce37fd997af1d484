import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, JWTPayload } from 'jose';
import { UnauthenticatedError, ForbiddenError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Principal } from './principal';
import { OidcLoginHooks } from './oidc-login';
import { PrincipalsRepository } from './principals.repository';

/**
 * OIDC users: the JWT is verified against the configured JWKS (issuer, audience, expiry);
 * the organization and role come from Meshfleet's own memberships, which a login hook may first
 * bring in step with the token's group claim (MESHFLEET_OIDC_GROUP_ROLES).
 */
@Injectable()
export class JwtAuthenticator {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly repo: PrincipalsRepository,
    private readonly hooks: OidcLoginHooks,
  ) {
    this.jwks = config.oidc ? createRemoteJWKSet(new URL(config.oidc.jwksUrl)) : null;
  }

  get enabled(): boolean {
    return this.jwks !== null;
  }

  async authenticate(token: string, organizationHint: string | null): Promise<Principal> {
    const oidc = this.config.oidc;
    if (!this.jwks || !oidc) throw new UnauthenticatedError('Unknown API key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, { issuer: oidc.issuer, audience: oidc.audience }));
    } catch (e) {
      throw new UnauthenticatedError(
        `Invalid token: ${e instanceof Error ? e.message : 'verification failed'}`,
      );
    }
    if (!payload.sub) throw new UnauthenticatedError('Invalid token: no subject');
    const email = typeof payload['email'] === 'string' ? payload['email'] : null;
    const name = typeof payload['name'] === 'string' ? payload['name'] : null;
    const user = await this.repo.upsertOidcUser(
      oidc.issuer,
      payload.sub,
      { email, displayName: name },
      new Date(),
    );
    await this.hooks.run({
      userId: user.id,
      subject: payload.sub,
      actorName: email ?? payload.sub,
      claims: payload,
    });
    const memberships = await this.repo.membershipsOf(user.id);
    const chosen = organizationHint
      ? memberships.find((m) => m.organizationId === organizationHint)
      : memberships.length === 1
        ? memberships[0]
        : undefined;
    if (!chosen) {
      if (memberships.length === 0) throw new ForbiddenError('You are not a member of any organization');
      throw new ForbiddenError(
        organizationHint
          ? 'You are not a member of that organization'
          : 'You belong to several organizations: choose one with the X-Meshfleet-Organization header',
      );
    }
    return {
      organizationId: chosen.organizationId,
      role: chosen.role,
      kind: 'USER',
      actorId: user.id,
      actorName: email ?? payload.sub,
    };
  }
}
