import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  decodeCursor,
  encodeCursor,
  isUuid,
  NotFoundError,
  Page,
  Requirement,
} from '@meshfleet/core';
import {
  CloudProvider,
  Cluster,
  ClusterMode,
  ClusterStatus,
  Db,
  isUniqueViolation,
  Prisma,
  PrismaService,
} from '@meshfleet/db';

export interface ClusterListFilter {
  provider?: CloudProvider | null;
  region?: string | null;
  status?: ClusterStatus | null;
  search?: string | null;
  labelSelector?: Requirement[];
  includeDeregistered?: boolean;
}

export interface NewCluster {
  name: string;
  provider: CloudProvider;
  region: string | null;
  labels: Record<string, string>;
  mode: ClusterMode;
}

type Pos = { n: string };
const isPos = (v: unknown): v is Pos =>
  typeof v === 'object' && v !== null && typeof (v as Pos).n === 'string';

function requirementSql(r: Requirement): Prisma.Sql {
  switch (r.op) {
    case 'Equals':
      return Prisma.sql`c."labels" @> ${JSON.stringify({ [r.key]: r.value })}::jsonb`;
    case 'NotEquals':
      return Prisma.sql`NOT (c."labels" @> ${JSON.stringify({ [r.key]: r.value })}::jsonb)`;
    case 'In':
      return Prisma.sql`(c."labels" ->> ${r.key}) = ANY(${r.values}::text[])`;
    case 'NotIn':
      return Prisma.sql`NOT COALESCE((c."labels" ->> ${r.key}) = ANY(${r.values}::text[]), false)`;
    case 'Exists':
      return Prisma.sql`jsonb_exists(c."labels", ${r.key})`;
    case 'DoesNotExist':
      return Prisma.sql`NOT jsonb_exists(c."labels", ${r.key})`;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** The SQL condition (over alias c) for a tenant-scoped cluster filter; shared by list and fleet views. */
export function clusterWhereSql(organizationId: string, filter: ClusterListFilter): Prisma.Sql {
  const conds: Prisma.Sql[] = [Prisma.sql`c."organizationId" = ${organizationId}::uuid`];
  if (filter.provider) conds.push(Prisma.sql`c."provider" = ${filter.provider}::"CloudProvider"`);
  if (filter.region) conds.push(Prisma.sql`c."region" = ${filter.region}`);
  if (filter.status) conds.push(Prisma.sql`c."status" = ${filter.status}::"ClusterStatus"`);
  else if (!filter.includeDeregistered) conds.push(Prisma.sql`c."status" <> 'DEREGISTERED'::"ClusterStatus"`);
  if (filter.search) conds.push(Prisma.sql`c."name" ILIKE ${`%${escapeLike(filter.search)}%`}`);
  for (const r of filter.labelSelector ?? []) conds.push(requirementSql(r));
  return Prisma.join(conds, ' AND ');
}

@Injectable()
export class ClustersRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async create(db: Db, organizationId: string, data: NewCluster): Promise<Cluster> {
    try {
      return await db.cluster.create({ data: { organizationId, ...data } });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError(`A cluster named "${data.name}" already exists in this organization`, {
          field: 'name',
        });
      throw e;
    }
  }

  async get(db: Db, organizationId: string, id: string): Promise<Cluster> {
    if (!isUuid(id)) throw new NotFoundError('Cluster', id);
    const cluster = await db.cluster.findFirst({ where: { id, organizationId } });
    if (!cluster) throw new NotFoundError('Cluster', id);
    return cluster;
  }

  update(
    db: Db,
    organizationId: string,
    id: string,
    data: Prisma.ClusterUpdateManyMutationInput,
  ): Promise<Cluster> {
    return db.cluster.update({ where: { id, organizationId }, data });
  }

  async list(
    organizationId: string,
    filter: ClusterListFilter,
    first: number,
    after: string | null,
  ): Promise<Page<Cluster>> {
    const where = clusterWhereSql(organizationId, filter);
    const pos = after ? decodeCursor(after, isPos) : null;
    const pageWhere = pos ? Prisma.sql`${where} AND c."name" > ${pos.n}` : where;

    const [idRows, countRows, earlier] = await Promise.all([
      this.prisma.$queryRaw<{ id: string }[]>`
        SELECT c."id" FROM "Cluster" c WHERE ${pageWhere} ORDER BY c."name" ASC LIMIT ${first + 1}`,
      this.prisma.$queryRaw<{ count: bigint }[]>`SELECT COUNT(*) AS count FROM "Cluster" c WHERE ${where}`,
      pos
        ? this.prisma.$queryRaw<{ id: string }[]>`
            SELECT c."id" FROM "Cluster" c WHERE ${where} AND c."name" <= ${pos.n} LIMIT 1`
        : Promise.resolve([]),
    ]);
    const ids = idRows.slice(0, first).map((r) => r.id);
    const rows = ids.length
      ? await this.prisma.cluster.findMany({ where: { id: { in: ids }, organizationId } })
      : [];
    const byId = new Map(rows.map((c) => [c.id, c]));
    const items = ids.map((id) => byId.get(id)).filter((c): c is Cluster => c !== undefined);
    return {
      items,
      cursors: items.map((c) => encodeCursor({ n: c.name })),
      hasNextPage: idRows.length > first,
      hasPreviousPage: earlier.length > 0,
      totalCount: Number(countRows[0]?.count ?? 0),
    };
  }

  createBootstrapToken(
    db: Db,
    organizationId: string,
    clusterId: string,
    tokenHash: string,
    expiresAt: Date,
  ) {
    return db.bootstrapToken.create({ data: { organizationId, clusterId, tokenHash, expiresAt } });
  }

  /** Unused tokens stop working when a new one is issued or the cluster is deregistered. */
  async revokeOpenBootstrapTokens(
    db: Db,
    organizationId: string,
    clusterId: string,
    at: Date,
  ): Promise<void> {
    await db.bootstrapToken.updateMany({
      where: { organizationId, clusterId, usedAt: null, revokedAt: null },
      data: { revokedAt: at },
    });
  }

  async revokeAgentCredentials(db: Db, organizationId: string, clusterId: string, at: Date): Promise<number> {
    const res = await db.agentCredential.updateMany({
      where: { organizationId, clusterId, revokedAt: null },
      data: { revokedAt: at },
    });
    return res.count;
  }
}
