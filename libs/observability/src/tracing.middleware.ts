import type { NextFunction, Request, Response } from 'express';
import { inSpan } from './tracing';

/**
 * A server span per HTTP request, child of the caller's `traceparent` if any; jobs enqueued while
 * it runs carry its context. Mounted only when tracing is on.
 */
export function tracingMiddleware() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path;
    void inSpan(
      `${req.method} ${path === '/graphql' ? '/graphql' : 'http'}`,
      { kind: 'server', carrier: req.headers, attributes: { 'http.request.method': req.method } },
      (span) =>
        new Promise<void>((resolve) => {
          res.once('finish', () => {
            const route = req.route?.path
              ? `${req.baseUrl}${String(req.route.path)}`
              : path === '/graphql'
                ? '/graphql'
                : 'other';
            span.updateName(`${req.method} ${route}`);
            span.setAttribute('http.route', route);
            span.setAttribute('http.response.status_code', res.statusCode);
            resolve();
          });
          res.once('close', () => resolve());
          next();
        }),
    );
  };
}
