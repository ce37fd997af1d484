import { Role } from '@meshfleet/db';

export type PrincipalKind = 'USER' | 'API_KEY' | 'SYSTEM';

/** Who is calling, in which organization, with which role. Set by authentication. */
export interface Principal {
  organizationId: string;
  role: Role;
  kind: PrincipalKind;
  actorId: string;
  actorName: string;
}

/** Where the call came from, for the audit trail. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export type Actor = Principal & RequestMeta;

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}
