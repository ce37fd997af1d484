import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { freshSince, reportFreshness } from '@meshfleet/linkerd';
import { FleetMetricsRepository } from './fleet-metrics.repository';
import { renderFleetMetrics } from './fleet-metrics.render';

@Injectable()
export class FleetMetricsService {
  constructor(
    private readonly repo: FleetMetricsRepository,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /**
   * Reads everything first (so a database error is an HTTP error, not a truncated body), then
   * returns the text as chunks to stream.
   */
  async exposition(organizationId: string): Promise<Iterable<Buffer>> {
    const freshness = reportFreshness(this.config.reportIntervalSeconds);
    const [clusters, fleetAlerts] = await Promise.all([
      this.repo.clusters(organizationId),
      this.repo.fleetAlerts(organizationId),
    ]);
    return renderFleetMetrics({
      clusters,
      fleetAlerts,
      now: freshness.now,
      freshAfter: freshSince(freshness),
    });
  }
}
