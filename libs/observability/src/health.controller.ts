import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@meshfleet/auth';
import { MetricsService } from './metrics';
import { evaluateReadiness, ReadinessCheck } from './readiness';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const r = await evaluateReadiness(this.checks);
    res.status(r.ready ? 200 : 503).json(r.body);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
