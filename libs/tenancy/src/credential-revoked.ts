// Published after a credential stops being valid (an API key revoked, a member removed), so
// every API replica closes the live connections opened with it.
export const CREDENTIAL_REVOKED = 'credential-revoked';

export interface CredentialRevoked {
  /** The principal kind: API_KEY (actorId = key id) or USER (actorId = user id). */
  kind: 'API_KEY' | 'USER';
  actorId: string;
  organizationId: string;
}
