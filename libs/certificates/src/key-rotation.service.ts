// Key-encryption-key rotation: re-wraps every envelope-encrypted secret (trust-anchor keys,
// webhook signing secrets) under the active key, so an old key can then be removed from
// MESHFLEET_ENCRYPTION_KEYS. Only the wrapped data keys change; the ciphertexts stay as they are.
// Each row is updated only if it still holds what was read, so a concurrent secret rotation wins.
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { DomainError } from '@meshfleet/core';
import { rewrap, type Keyring, type Sealed } from './envelope';
import { KeyRotationRepository } from './key-rotation.repository';

export interface RewrapReport {
  activeKeyId: string;
  /** Secrets re-wrapped under the active key, by where they live. */
  rewrapped: { trustAnchorKeys: number; webhookSecrets: number };
  /** Secrets already under the active key. */
  alreadyCurrent: number;
  /** Rows changed by someone else between read and write; run again to pick them up. */
  skippedConcurrentChanges: number;
  /** Key ids still referenced after the run, with counts (only the active one, once complete). */
  keysInUse: Record<string, number>;
}

function isSealed(v: unknown): v is Sealed {
  return (
    typeof v === 'object' && v !== null && (v as Sealed).v === 1 && typeof (v as Sealed).kid === 'string'
  );
}

@Injectable()
export class KeyRotationService {
  constructor(
    private readonly repo: KeyRotationRepository,
    private readonly config: AppConfig,
  ) {}

  private keyring(): Keyring {
    const k = this.config.encryption;
    if (!k) throw new DomainError('FAILED_PRECONDITION', 'MESHFLEET_ENCRYPTION_KEYS is not configured');
    return k;
  }

  async rewrapAll(): Promise<RewrapReport> {
    const keyring = this.keyring();
    const report: RewrapReport = {
      activeKeyId: keyring.activeKeyId,
      rewrapped: { trustAnchorKeys: 0, webhookSecrets: 0 },
      alreadyCurrent: 0,
      skippedConcurrentChanges: 0,
      keysInUse: {},
    };
    // Refuse before writing anything if some secret is wrapped with a key we don't have.
    const missing = Object.keys(await this.keysInUse()).filter((kid) => !keyring.keys.has(kid));
    if (missing.length > 0)
      throw new DomainError(
        'FAILED_PRECONDITION',
        `Secrets are wrapped with key(s) ${missing.join(', ')} that MESHFLEET_ENCRYPTION_KEYS does not contain; add them and run again`,
      );
    const next = (sealed: Sealed): Sealed | null => {
      if (sealed.kid === keyring.activeKeyId) {
        report.alreadyCurrent++;
        return null;
      }
      return rewrap(keyring, sealed);
    };

    for (const d of await this.repo.trustAnchorKeys()) {
      if (!isSealed(d.value)) continue;
      const moved = next(d.value);
      if (!moved) continue;
      if (await this.repo.swapTrustAnchorKey(d.organizationId, d.id, d.value, moved))
        report.rewrapped.trustAnchorKeys++;
      else report.skippedConcurrentChanges++;
    }

    for (const { field, secret: e } of await this.repo.webhookSecrets()) {
      if (!isSealed(e.value)) continue;
      const moved = next(e.value);
      if (!moved) continue;
      if (await this.repo.swapWebhookSecret(e.organizationId, e.id, field, e.value, moved))
        report.rewrapped.webhookSecrets++;
      else report.skippedConcurrentChanges++;
    }

    report.keysInUse = await this.keysInUse();
    return report;
  }

  /** Which key ids the stored secrets reference, with counts. */
  keysInUse(): Promise<Record<string, number>> {
    return this.repo.keysInUse();
  }
}
