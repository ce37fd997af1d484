// Fleet-wide resource figures from the stored blocks (ClusterHealth.resources), filtered like the
// rest of the fleet summary. One statement; each block is ≤ 2 KiB, only `proxy` is read.
import { Injectable } from '@nestjs/common';
import { ClusterListFilter, clusterWhereSql } from '@meshfleet/clusters';
import { PrismaService } from '@meshfleet/db';

export interface FleetResourceRow {
  clusters: number;
  measured: number | null;
  cpu: number | null;
  mem: number | null;
  cpMem: number | null;
  nearLimit: number | null;
  oom: number | null;
  worst: { id: string; name: string; max: number; mem: number; oom: number }[];
}

@Injectable()
export class ResourcesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async fleet(org: string, f: ClusterListFilter, worstLimit: number): Promise<FleetResourceRow> {
    const rows = await this.prisma.$queryRaw<FleetResourceRow[]>`
      WITH r AS MATERIALIZED (
        SELECT c."id", c."name", h."resources"->'proxy' AS p, h."resources"->'controlPlane' AS cp
        FROM "Cluster" c JOIN "ClusterHealth" h ON h."clusterId" = c."id"
        WHERE ${clusterWhereSql(org, f)} AND h."resources" IS NOT NULL
      )
      SELECT COUNT(*)::int AS clusters,
        SUM((p->>'pods')::float8) AS measured, SUM((p->>'cpu')::float8) AS cpu,
        SUM((p->>'mem')::float8) AS mem,
        (SELECT SUM((x->>'mem')::float8) FROM r, jsonb_array_elements(r.cp) x) AS "cpMem",
        SUM((p->>'overLimit')::float8) AS "nearLimit", SUM((p->>'oomKilled')::float8) AS oom,
        COALESCE((SELECT json_agg(w) FROM (
          SELECT "id", "name", (p->>'max')::float8 AS max, (p->>'mem')::float8 AS mem,
            (p->>'oomKilled')::int AS oom
          FROM r WHERE (p->>'max') IS NOT NULL
          ORDER BY (p->>'max')::float8 DESC, "name" LIMIT ${worstLimit}) w), '[]') AS worst
      FROM r`;
    return rows[0]!;
  }
}
