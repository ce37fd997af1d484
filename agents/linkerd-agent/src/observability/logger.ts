// Structured JSON logs. Secrets travel through objects we log (requests, Secret data), so the
// token and credential paths are redacted at the logger, not left to each call site.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACT_PATHS = [
  'bootstrapToken',
  'credential',
  'token',
  'authorization',
  '*.bootstrapToken',
  '*.credential',
  '*.token',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'data',
  '*.data',
];

export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options = {
    name: 'meshfleet-agent',
    level,
    base: bindings,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
