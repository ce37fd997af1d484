import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { CatalogService } from './catalog.service';

/** Ensures the shipped (simulated) release catalog at start-up when configured. */
@Injectable()
export class CatalogSeeder implements OnApplicationBootstrap {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly catalog: CatalogService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.simulatedCatalog) await this.catalog.ensureSimulatedCatalog();
  }
}
