import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessGuard } from './access.guard';
import { AgentAuthenticator } from './agent.authenticator';
import { AgentCredentialCache } from './agent-credential.cache';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { BearerStrategy } from './bearer.strategy';
import { JwtAuthenticator } from './jwt.authenticator';
import { OidcLoginHooks } from './oidc-login';
import { PrincipalsRepository } from './principals.repository';

@Global()
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [
    PrincipalsRepository,
    AgentCredentialCache,
    AgentAuthenticator,
    ApiKeyAuthenticator,
    JwtAuthenticator,
    OidcLoginHooks,
    BearerStrategy,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [AgentCredentialCache, AgentAuthenticator, ApiKeyAuthenticator, JwtAuthenticator, OidcLoginHooks],
})
export class AuthModule {}
