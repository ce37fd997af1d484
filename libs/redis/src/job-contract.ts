import { context, propagation, trace } from '@opentelemetry/api';
import {
  UnrecoverableError,
  type BulkJobOptions,
  type JobSchedulerTemplateOptions,
  type JobsOptions,
  type Queue,
  type RepeatOptions,
} from 'bullmq';
import type { z } from 'zod';

/** The payload schema of every job name one queue carries. */
export type JobSchemas = Record<string, z.ZodType>;

export type JobName<S extends JobSchemas> = keyof S & string;

/** A job as a worker sees it once parsed: checking the name narrows the payload. */
export type ParsedJob<S extends JobSchemas> = {
  [N in JobName<S>]: { name: N; data: z.output<S[N]> };
}[JobName<S>];

export type JobSpec<S extends JobSchemas, N extends JobName<S> = JobName<S>> = {
  name: N;
  data: z.input<S[N]>;
  opts?: BulkJobOptions;
};

/** What BullMQ hands a processor, reduced to what parsing reads. */
type RawJob = { id?: string | undefined; name: string; data: unknown };

/**
 * A job whose name or payload breaks its queue's contract. BullMQ fails such a job at once,
 * with this message as the reason, rather than retrying what cannot succeed.
 */
export class MalformedJobError extends UnrecoverableError {
  constructor(
    readonly queue: string,
    readonly jobName: string,
    reason: string,
  ) {
    super(`malformed ${queue} job "${jobName}": ${reason}`);
    this.name = 'MalformedJobError';
  }
}

/**
 * One queue's jobs in one place: the job names and a zod schema per payload. Producers add
 * through it (typed, checked before it reaches Redis); workers parse `job.data` through it.
 */
export class JobContract<S extends JobSchemas> {
  constructor(
    readonly queue: string,
    private readonly schemas: S,
  ) {}

  get names(): JobName<S>[] {
    return Object.keys(this.schemas);
  }

  /** The typed job, or MalformedJobError naming the job and every payload issue. */
  parse(job: RawJob): ParsedJob<S> {
    const schema = Object.hasOwn(this.schemas, job.name) ? this.schemas[job.name] : undefined;
    if (!schema) {
      throw new MalformedJobError(
        this.queue,
        job.name,
        `unknown job name (expected ${this.names.join(', ')})`,
      );
    }
    const r = schema.safeParse(job.data);
    if (!r.success) {
      const issues = r.error.issues.map(
        (i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`,
      );
      throw new MalformedJobError(this.queue, job.name, issues.join('; '));
    }
    return { name: job.name, data: r.data } as ParsedJob<S>;
  }

  async add<N extends JobName<S>>(
    queue: Queue,
    name: N,
    data: z.input<S[N]>,
    opts?: JobsOptions,
  ): Promise<void> {
    // The enqueuing span's trace context rides along (dropped by parse, read by the worker's span).
    await queue.add(name, { ...(this.checked(name, data) as object), ...traceFields() }, opts);
  }

  async addBulk(queue: Queue, jobs: JobSpec<S>[]): Promise<void> {
    if (!jobs.length) return;
    await queue.addBulk(
      jobs.map((j) => ({
        name: j.name,
        data: { ...(this.checked(j.name, j.data) as object), ...traceFields() },
        opts: j.opts,
      })),
    );
  }

  /** Creates or updates a repeatable job: `schedulerId` names the schedule, `name` the job it adds. */
  async schedule<N extends JobName<S>>(
    queue: Queue,
    schedulerId: string,
    repeat: Omit<RepeatOptions, 'key'>,
    job: { name: N; data: z.input<S[N]>; opts?: JobSchedulerTemplateOptions },
  ): Promise<void> {
    const template = { name: job.name, data: this.checked(job.name, job.data) };
    await queue.upsertJobScheduler(
      schedulerId,
      repeat,
      job.opts ? { ...template, opts: job.opts } : template,
    );
  }

  private checked(name: string, data: unknown): unknown {
    return this.parse({ name, data }).data;
  }
}

/**
 * W3C trace context of the active span, for a job's data: the worker's span for the job becomes
 * its child. Empty (and nearly free) when tracing is off: without an SDK there is no active span.
 */
export function traceFields(): { traceparent?: string; tracestate?: string } {
  if (!trace.getActiveSpan()) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent
    ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) }
    : {};
}
