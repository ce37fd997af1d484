import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppConfig } from '@meshfleet/config';
import { PrismaClient } from './generated/prisma/client';

/**
 * Session settings of the app's connections: no JIT compilation. Our statements are short, and a
 * fleet-wide one (the summary, a rollout's targets) can pass the planner's JIT cost threshold on
 * its estimates alone and then spend ~250 ms compiling a plan that runs in 10 ms. A URL that sets
 * its own `options` keeps them.
 */
export function connectionOptions(databaseUrl: string): { options?: string } {
  return new URL(databaseUrl).searchParams.has('options') ? {} : { options: '-c jit=off' };
}

/** The one Prisma client of a process, over node-postgres (Prisma 7 driver adapter). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(config: AppConfig) {
    super({
      adapter: new PrismaPg({
        connectionString: config.databaseUrl,
        max: config.databasePoolSize,
        ...connectionOptions(config.databaseUrl),
      }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }

  async ping(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }
}
