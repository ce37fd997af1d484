// The agent's own Prometheus metrics. A registry per agent instance: the demo runs many agents in
// one process, and prom-client's global registry would mix them up.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly heartbeatsSent = new Counter({
    name: 'meshfleet_agent_heartbeats_sent_total',
    help: 'Heartbeats accepted by the API',
    registers: [this.registry],
  });
  readonly heartbeatsFailed = new Counter({
    name: 'meshfleet_agent_heartbeats_failed_total',
    help: 'Heartbeats that failed (network error or non-2xx)',
    registers: [this.registry],
  });
  readonly reportsSent = new Counter({
    name: 'meshfleet_agent_reports_sent_total',
    help: 'Health reports accepted by the API',
    registers: [this.registry],
  });
  readonly earlyReports = new Counter({
    name: 'meshfleet_agent_early_reports_total',
    help: 'Health reports sent early because what the health verdict turns on changed',
    registers: [this.registry],
  });
  readonly reportsFailed = new Counter({
    name: 'meshfleet_agent_reports_failed_total',
    help: 'Health reports that could not be built or sent',
    registers: [this.registry],
  });
  // Report cost on big clusters: building reads every cached object, the body grows with namespaces.
  readonly reportBuildSeconds = new Histogram({
    name: 'meshfleet_agent_report_build_seconds',
    help: 'Time to build one health report from the cache (checks, proxy scrapes, resources)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly reportBuildCpuSeconds = new Histogram({
    name: 'meshfleet_agent_report_build_cpu_seconds',
    help: 'Process CPU time (user + system) while one report was built; the rest of the build time is waiting on the API server',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly reportBodyBytes = new Gauge({
    name: 'meshfleet_agent_report_body_bytes',
    help: 'Bytes of the last health report sent, as JSON (form=json) and on the wire after compression (form=wire)',
    labelNames: ['form'] as const,
    registers: [this.registry],
  });
  readonly lastContact = new Gauge({
    name: 'meshfleet_agent_last_successful_contact_timestamp_seconds',
    help: 'Unix time of the last successful API response',
    registers: [this.registry],
  });
  readonly scrapeErrors = new Counter({
    name: 'meshfleet_agent_proxy_scrape_errors_total',
    help: 'Proxy metrics scrapes that failed',
    registers: [this.registry],
  });
  readonly tasksRun = new Counter({
    name: 'meshfleet_agent_tasks_total',
    help: 'Tasks executed, by kind and outcome',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });
  readonly informersSynced = new Gauge({
    name: 'meshfleet_agent_informers_synced',
    help: '1 once every informer has listed its resources',
    registers: [this.registry],
  });

  constructor(defaultMetrics = false) {
    // Process metrics only for the binary; in a shared process they would repeat per agent.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  contact(): void {
    this.lastContact.set(Date.now() / 1000);
  }
}
