import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { once } from 'node:events';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { EXPOSITION_CONTENT_TYPE } from './exposition';
import { FleetMetricsService } from './fleet-metrics.service';

/** The path Prometheus scrapes; the API's own process metrics stay at /metrics. */
export const FLEET_METRICS_PATH = 'metrics/fleet';

/**
 * Per-cluster mesh series of the caller's organization in Prometheus text format, for a
 * Prometheus that scrapes with an API key (`authorization: Bearer <key>`).
 */
@Controller()
export class FleetMetricsController {
  constructor(private readonly metrics: FleetMetricsService) {}

  @Get(FLEET_METRICS_PATH)
  @Allow(Role.VIEWER)
  async scrape(@CurrentPrincipal() principal: Principal, @Res() res: Response): Promise<void> {
    const chunks = await this.metrics.exposition(principal.organizationId);
    res.status(200).setHeader('content-type', EXPOSITION_CONTENT_TYPE);
    res.setHeader('cache-control', 'no-store');
    for (const chunk of chunks) {
      if (res.destroyed) return; // the scraper gave up
      if (!res.write(chunk)) await once(res, 'drain');
    }
    res.end();
  }
}
