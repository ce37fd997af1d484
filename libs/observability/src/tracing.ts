// Optional OpenTelemetry tracing. Off unless configured, and then the SDK is never loaded: only
// @opentelemetry/api, whose calls are no-ops without an SDK, is imported here.
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

let sdk: { shutdown(): Promise<void> } | null = null;

const TRACER = 'meshfleet';

/**
 * Starts the SDK with an OTLP/HTTP (JSON) span exporter; the exporter reads the standard
 * OTEL_EXPORTER_OTLP_* settings. Returns whether tracing is on.
 */
export async function startTracing(serviceName: string, enabled: boolean): Promise<boolean> {
  if (!enabled || sdk) return sdk !== null;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const started = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  started.start();
  sdk = started;
  return true;
}

/** Flushes and stops the SDK (pending spans are exported). */
export async function stopTracing(): Promise<void> {
  const s = sdk;
  sdk = null;
  await s?.shutdown();
}

export function tracingEnabled(): boolean {
  return sdk !== null;
}

/** Runs `fn` in a span, child of the context in `carrier` (W3C headers or job data) if any. */
export async function inSpan<T>(
  name: string,
  opts: { kind: 'server' | 'consumer'; carrier?: unknown; attributes?: Record<string, string> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!sdk) return fn(trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }));
  const parent = propagation.extract(ROOT_CONTEXT, carrierOf(opts.carrier));
  const kind = opts.kind === 'server' ? SpanKind.SERVER : SpanKind.CONSUMER;
  return trace
    .getTracer(TRACER)
    .startActiveSpan(name, { kind, attributes: opts.attributes }, parent, async (span) => {
      try {
        return await fn(span);
      } catch (e) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : 'failed' });
        throw e;
      } finally {
        span.end();
      }
    });
}

/** A BullMQ job run as a consumer span, child of the span that enqueued it. */
export function traceJob<T>(
  queue: string,
  job: { name: string; data: unknown },
  fn: () => Promise<T>,
): Promise<T> {
  if (!sdk) return fn();
  return inSpan(
    `${queue} ${job.name}`,
    {
      kind: 'consumer',
      carrier: job.data,
      attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue },
    },
    () => fn(),
  );
}

function carrierOf(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object') return {};
  const out: Record<string, string> = {};
  for (const k of ['traceparent', 'tracestate']) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'string') out[k] = x;
    else if (Array.isArray(x) && typeof x[0] === 'string') out[k] = x[0];
  }
  return out;
}
