import { Injectable } from '@nestjs/common';
import type { JWTPayload } from 'jose';

/** A verified OIDC sign-in, before its memberships are read. */
export interface OidcLogin {
  userId: string;
  subject: string;
  /** What the audit trail calls the user (email, else subject). */
  actorName: string;
  claims: JWTPayload;
}

export interface OidcLoginHook {
  onLogin(login: OidcLogin): Promise<void>;
}

/**
 * Lets other modules act on a sign-in before memberships are read (tenancy maps group claims to
 * memberships) without this module depending on them.
 */
@Injectable()
export class OidcLoginHooks {
  private readonly hooks: OidcLoginHook[] = [];

  register(hook: OidcLoginHook): void {
    this.hooks.push(hook);
  }

  async run(login: OidcLogin): Promise<void> {
    for (const h of this.hooks) await h.onLogin(login);
  }
}
