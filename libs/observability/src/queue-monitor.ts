import { Injectable } from '@nestjs/common';
import type { Job, Queue, Worker } from 'bullmq';
import { Counter, Histogram } from 'prom-client';
import { MetricsService, withTimeout } from './metrics';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

interface Watched {
  queue: Queue;
  worker: Worker;
  jobNames: Set<string>;
}

/**
 * The BullMQ queues a worker process consumes: their depth per state, job durations and
 * failures per job name (names outside the queue's contract count as "other", so labels stay
 * bounded), and whether every worker is running (readiness).
 */
@Injectable()
export class QueueMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly durations: Histogram<'queue' | 'job' | 'outcome'>;
  private readonly failures: Counter<'queue' | 'job'>;

  constructor(metrics: MetricsService) {
    this.durations = metrics.histogram({
      name: 'meshfleet_queue_job_duration_seconds',
      help: 'BullMQ job run time by queue, job name and outcome (completed, failed)',
      labelNames: ['queue', 'job', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    });
    this.failures = metrics.counter({
      name: 'meshfleet_queue_jobs_failed_total',
      help: 'BullMQ job runs that failed, by queue and job name',
      labelNames: ['queue', 'job'],
    });
    const watched = this.watched;
    metrics.gauge({
      name: 'meshfleet_queue_jobs',
      help: 'BullMQ jobs per queue and state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      async collect(g) {
        g.reset();
        for (const w of watched.values()) {
          const counts = await withTimeout(w.queue.getJobCounts(...STATES), 1500, 'queue depth');
          for (const s of STATES) g.set({ queue: w.queue.name, state: s }, counts[s] ?? 0);
        }
      },
    });
  }

  /** Follows a queue and the worker consuming it; `jobNames` are the queue's contract names. */
  watch(queue: Queue, worker: Worker, jobNames: readonly string[]): void {
    const w: Watched = { queue, worker, jobNames: new Set(jobNames) };
    this.watched.set(queue.name, w);
    worker.on('completed', (job) => this.observe(w, job, 'completed'));
    worker.on('failed', (job) => {
      if (!job) return;
      this.observe(w, job, 'failed');
      this.failures.inc({ queue: queue.name, job: this.nameOf(w, job) });
    });
  }

  /** Rejects with the reason when a worker is missing or not running. */
  check(expected: readonly string[]): void {
    const missing = expected.filter((q) => !this.watched.has(q));
    if (missing.length) throw new Error(`BullMQ workers not started: ${missing.join(', ')}`);
    const stopped = [...this.watched.values()].filter((w) => !w.worker.isRunning());
    if (stopped.length)
      throw new Error(`BullMQ workers not running: ${stopped.map((w) => w.queue.name).join(', ')}`);
  }

  private observe(w: Watched, job: Job, outcome: 'completed' | 'failed'): void {
    const started = job.processedOn ?? job.timestamp;
    const ended = job.finishedOn ?? Date.now();
    this.durations.observe(
      { queue: w.queue.name, job: this.nameOf(w, job), outcome },
      Math.max(0, ended - started) / 1000,
    );
  }

  private nameOf(w: Watched, job: Job): string {
    return w.jobNames.has(job.name) ? job.name : 'other';
  }
}
