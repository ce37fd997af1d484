import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics';

/** Observes every HTTP request's latency, labelled by matched route (bounded cardinality). */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer();
    // Mounted handlers (Apollo) rewrite req.url, so remember the path as it arrived.
    const path = req.path;
    res.on('finish', () => {
      const route = req.route?.path
        ? `${req.baseUrl}${String(req.route.path)}`
        : path === '/graphql'
          ? '/graphql'
          : 'other';
      end({ method: req.method, route, code: String(res.statusCode) });
    });
    next();
  };
}
