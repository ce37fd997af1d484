import { Injectable } from '@nestjs/common';
import { Db, ExtensionBundle, LinkerdRelease, PrismaService, ReleaseBundle } from '@meshfleet/db';

export type ReleaseWithBundles = LinkerdRelease & { bundles: ReleaseBundle[] };

@Injectable()
export class CatalogRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  /** Releases an organization can use: the shipped catalog plus its own imports. */
  visible(organizationId: string): Promise<ReleaseWithBundles[]> {
    return this.prisma.linkerdRelease.findMany({
      where: { OR: [{ organizationId: null }, { organizationId }] },
      include: { bundles: true },
      orderBy: [{ major: 'desc' }, { createdAt: 'desc' }],
    });
  }

  async find(organizationId: string, version: string): Promise<ReleaseWithBundles | null> {
    // The organization's own import wins over a shipped release of the same version.
    const rows = await this.prisma.linkerdRelease.findMany({
      where: { version, OR: [{ organizationId }, { organizationId: null }] },
      include: { bundles: true },
    });
    return rows.find((r) => r.organizationId === organizationId) ?? rows[0] ?? null;
  }

  async hasShipped(version: string): Promise<boolean> {
    return (await this.prisma.linkerdRelease.count({ where: { version, organizationId: null } })) > 0;
  }

  findShipped(db: Db, version: string): Promise<LinkerdRelease | null> {
    return db.linkerdRelease.findFirst({ where: { version, organizationId: null } });
  }

  findOwn(db: Db, organizationId: string, version: string): Promise<LinkerdRelease | null> {
    return db.linkerdRelease.findFirst({ where: { version, organizationId } });
  }

  findBundle(db: Db, releaseId: string, variant: string): Promise<ReleaseBundle | null> {
    return db.releaseBundle.findUnique({ where: { releaseId_variant: { releaseId, variant } } });
  }

  createRelease(db: Db, data: Omit<LinkerdRelease, 'id' | 'createdAt'>): Promise<LinkerdRelease> {
    return db.linkerdRelease.create({ data });
  }

  upsertBundle(
    db: Db,
    releaseId: string,
    variant: string,
    b: Omit<ReleaseBundle, 'id' | 'createdAt' | 'releaseId' | 'variant'>,
  ) {
    return db.releaseBundle.upsert({
      where: { releaseId_variant: { releaseId, variant } },
      create: { releaseId, variant, ...b },
      update: b,
    });
  }

  findExtension(db: Db, releaseId: string, extension: string): Promise<ExtensionBundle | null> {
    return db.extensionBundle.findUnique({ where: { releaseId_extension: { releaseId, extension } } });
  }

  upsertExtension(
    db: Db,
    releaseId: string,
    extension: string,
    b: Pick<ExtensionBundle, 'namespace' | 'yaml' | 'digest'>,
  ): Promise<ExtensionBundle> {
    return db.extensionBundle.upsert({
      where: { releaseId_extension: { releaseId, extension } },
      create: { releaseId, extension, ...b },
      update: b,
    });
  }
}
