import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { OrganizationsService } from '@meshfleet/tenancy';

/** MESHFLEET_BOOTSTRAP_ADMIN_KEY: organization `default` with that admin key, ensured at start-up. */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly orgs: OrganizationsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrapAdminKey) await this.orgs.ensureDefault(this.config.bootstrapAdminKey);
  }
}
