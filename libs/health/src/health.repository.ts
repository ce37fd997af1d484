import { Injectable } from '@nestjs/common';
import { ClusterHealth, HealthSample, PrismaService } from '@meshfleet/db';

@Injectable()
export class HealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  latest(organizationId: string, clusterId: string): Promise<ClusterHealth | null> {
    return this.prisma.clusterHealth.findFirst({ where: { clusterId, organizationId } });
  }

  history(
    organizationId: string,
    clusterId: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<HealthSample[]> {
    return this.prisma.healthSample.findMany({
      where: { organizationId, clusterId, at: { gte: from, lt: to } },
      orderBy: { at: 'asc' },
      take: limit,
    });
  }

  async pruneSamples(before: Date): Promise<number> {
    const res = await this.prisma.healthSample.deleteMany({ where: { at: { lt: before } } });
    return res.count;
  }
}
