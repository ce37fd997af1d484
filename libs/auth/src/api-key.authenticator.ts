import { Injectable } from '@nestjs/common';
import { hashSecret, UnauthenticatedError } from '@meshfleet/core';
import { Principal } from './principal';
import { PrincipalsRepository } from './principals.repository';

// lastUsedAt is a hint for humans, so it is written at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeyAuthenticator {
  constructor(private readonly repo: PrincipalsRepository) {}

  async authenticate(secret: string): Promise<Principal> {
    const key = await this.repo.apiKeyByHash(hashSecret(secret));
    if (!key) throw new UnauthenticatedError('Unknown API key');
    if (key.revokedAt) throw new UnauthenticatedError('This API key has been revoked');
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.repo.touchApiKey(key.organizationId, key.id, new Date(now));
    }
    return {
      organizationId: key.organizationId,
      role: key.role,
      kind: 'API_KEY',
      actorId: key.id,
      actorName: `api-key:${key.name}`,
    };
  }
}
