import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@meshfleet/core';
import { Db, isUniqueViolation, Membership, PrismaService, Role, User } from '@meshfleet/db';

export type MemberRow = Membership & { user: User };

@Injectable()
export class MembersRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(organizationId: string): Promise<MemberRow[]> {
    return this.prisma.membership.findMany({
      where: { organizationId },
      include: { user: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  async add(
    db: Db,
    organizationId: string,
    user: { issuer: string; subject: string; email: string | null },
    role: Role,
  ): Promise<MemberRow> {
    const u = await db.user.upsert({
      where: { issuer_subject: { issuer: user.issuer, subject: user.subject } },
      create: user,
      update: user.email ? { email: user.email } : {},
    });
    try {
      return await db.membership.create({
        data: { organizationId, userId: u.id, role },
        include: { user: true },
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError('That user is already a member', { field: 'subject' });
      throw e;
    }
  }

  forUser(db: Db, organizationId: string, userId: string): Promise<Membership | null> {
    return db.membership.findUnique({ where: { organizationId_userId: { organizationId, userId } } });
  }

  /** A membership that follows the user's OIDC groups. */
  async addForUser(db: Db, organizationId: string, userId: string, role: Role): Promise<Membership> {
    try {
      return await db.membership.create({ data: { organizationId, userId, role, viaOidcGroups: true } });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('That user is already a member');
      throw e;
    }
  }

  async setGroupRole(db: Db, organizationId: string, id: string, role: Role): Promise<void> {
    await db.membership.update({ where: { id, organizationId }, data: { role } });
  }

  async get(db: Db, organizationId: string, id: string): Promise<MemberRow> {
    const m = await db.membership.findFirst({ where: { id, organizationId }, include: { user: true } });
    if (!m) throw new NotFoundError('Member', id);
    return m;
  }

  updateRole(db: Db, organizationId: string, id: string, role: Role): Promise<MemberRow> {
    // An admin's choice: from now on the user's groups no longer change it.
    return db.membership.update({
      where: { id, organizationId },
      data: { role, viaOidcGroups: false },
      include: { user: true },
    });
  }

  async remove(db: Db, organizationId: string, id: string): Promise<void> {
    await db.membership.delete({ where: { id, organizationId } });
  }

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }
}
