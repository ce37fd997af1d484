import { Injectable, OnModuleInit } from '@nestjs/common';
import { AgentCredentialCache } from '@meshfleet/auth';
import { RedisService } from '@meshfleet/redis';

/** Connects the agent credential cache to Redis so revocations reach every API replica. */
@Injectable()
export class CredentialCacheBridge implements OnModuleInit {
  constructor(
    private readonly cache: AgentCredentialCache,
    private readonly redis: RedisService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.cache.attach({
      channel: this.redis.key('agent-credential-revoked'),
      publish: (channel, message) => this.redis.client.publish(channel, message),
      subscriber: () => this.redis.create('credential-cache-sub', { maxRetriesPerRequest: null }),
    });
  }
}
