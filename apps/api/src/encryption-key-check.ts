import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { KeyRotationService } from '@meshfleet/certificates';
import { AppConfig } from '@meshfleet/config';

/**
 * At start-up: stored secrets sealed under a key id MESHFLEET_ENCRYPTION_KEYS lacks are named in
 * one warning. The API still starts (everything else works); what needs those secrets answers
 * FAILED_PRECONDITION with reason ENCRYPTION_KEY_MISSING and the key id until the key is back.
 */
@Injectable()
export class EncryptionKeyCheck implements OnApplicationBootstrap {
  private readonly log = new Logger('EncryptionKeys');

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly keys: KeyRotationService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const inUse = await this.keys.keysInUse();
    const held = this.config.encryption?.keys ?? new Map<string, Buffer>();
    const missing = Object.entries(inUse).filter(([kid]) => !held.has(kid));
    if (missing.length === 0) return;
    this.log.warn(
      `MESHFLEET_ENCRYPTION_KEYS lacks key(s) that stored secrets are sealed under: ${missing
        .map(([kid, n]) => `${kid} (${n} secret${n === 1 ? '' : 's'})`)
        .join(
          ', ',
        )}. Identity domains and webhook endpoints using them are refused with ENCRYPTION_KEY_MISSING until the key is configured again (see keys status)`,
    );
  }
}
