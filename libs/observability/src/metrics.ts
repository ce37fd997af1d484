import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets for request/response work (long-polls are not observed here). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One Prometheus registry per process; features register their own metrics on it.
 * Names follow Prometheus conventions: prom-client's default `process_*`/`nodejs_*` unprefixed,
 * HTTP latency as OpenTelemetry's `http_server_request_duration_seconds`, Meshfleet's own
 * metrics under `meshfleet_`.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'code'>;
  /** Agent task long-polls: counted, kept out of the latency histogram (they wait on purpose). */
  readonly longPolls: Counter<'route' | 'code'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP request latency by method, matched route and status code',
      labelNames: ['method', 'route', 'code'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.longPolls = new Counter({
      name: 'meshfleet_agent_long_polls_total',
      help: 'Agent task long-polls answered, by route and status code',
      labelNames: ['route', 'code'],
      registers: [this.registry],
    });
  }

  /** A gauge read when scraped; `collect` sets it (a failing collect leaves it empty). */
  gauge<L extends string>(opts: {
    name: string;
    help: string;
    labelNames?: L[];
    collect: (g: Gauge<L>) => Promise<void> | void;
  }): Gauge<L> {
    const collect = opts.collect;
    return new Gauge<L>({
      name: opts.name,
      help: opts.help,
      labelNames: opts.labelNames ?? [],
      registers: [this.registry],
      async collect() {
        try {
          await collect(this);
        } catch {
          this.reset(); // no stale value when the source is unreachable
        }
      },
    });
  }

  counter<L extends string>(opts: { name: string; help: string; labelNames?: L[] }): Counter<L> {
    return new Counter<L>({ ...opts, labelNames: opts.labelNames ?? [], registers: [this.registry] });
  }

  histogram<L extends string>(opts: {
    name: string;
    help: string;
    labelNames?: L[];
    buckets?: number[];
  }): Histogram<L> {
    return new Histogram<L>({
      buckets: LATENCY_BUCKETS,
      ...opts,
      labelNames: opts.labelNames ?? [],
      registers: [this.registry],
    });
  }
}

/** "2xx".."5xx", or "error" when there was no HTTP answer (bounded label values). */
export function statusClass(code: number | null | undefined): string {
  if (code === null || code === undefined || code < 100 || code > 599) return 'error';
  return `${Math.floor(code / 100)}xx`;
}

/** Resolves with `p`, or rejects after `ms` (probes and scrapes never hang on a dead dependency). */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(`${what} failed`));
      },
    );
  });
}
