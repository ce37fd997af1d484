import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { sendExposition } from './exposition-stream';
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
  async scrape(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await sendExposition(req, res, await this.metrics.exposition(principal.organizationId));
  }
}
