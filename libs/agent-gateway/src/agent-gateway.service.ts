import { Inject, Injectable } from '@nestjs/common';
import { Heartbeat, HeartbeatResponse, HealthReport } from '@meshfleet/agent-protocol';
import { AppConfig } from '@meshfleet/config';
import { AgentPrincipal } from '@meshfleet/auth';
import { ValidationError } from '@meshfleet/core';
import { MetricsService } from '@meshfleet/observability';
import type { Counter } from 'prom-client';
import { ConnectBatcher } from './connect.batcher';
import { PresenceService } from './presence.service';
import { RateLimiter } from './rate-limiter';
import { ReportIngestBatcher } from './reports/report-ingest.batcher';

/** How far ahead of the server clock a report's sequence (wall-clock ms) may be. */
export const MAX_SEQUENCE_AHEAD_MS = 24 * 3600 * 1000;

@Injectable()
export class AgentGatewayService {
  private readonly limiter: RateLimiter;
  private readonly ingested: Counter<'outcome'>;

  constructor(
    private readonly presence: PresenceService,
    private readonly connect: ConnectBatcher,
    private readonly reports: ReportIngestBatcher,
    @Inject(AppConfig) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.limiter = new RateLimiter(config.agentRateLimitPerMinute);
    this.ingested = metrics.counter({
      name: 'meshfleet_agent_reports_ingested_total',
      help: 'Agent health reports by outcome: stored, or duplicate (not newer than the stored one)',
      labelNames: ['outcome'],
    });
  }

  get pollTimeoutSeconds(): number {
    return this.config.taskPollTimeoutSeconds;
  }

  limit(agent: AgentPrincipal): void {
    this.limiter.take(agent.credentialId);
  }

  /** One ZADD in the common case; Postgres only when the agent was absent. */
  async heartbeat(agent: AgentPrincipal, hb: Heartbeat): Promise<HeartbeatResponse> {
    const now = Date.now();
    const wasAbsent = await this.presence.touch(agent.clusterId, now);
    if (wasAbsent)
      await this.connect.markConnected(agent.organizationId, agent.clusterId, hb.agentVersion, new Date(now));
    return {
      serverTime: new Date(now).toISOString(),
      heartbeatIntervalSeconds: this.config.heartbeatIntervalSeconds,
      reportIntervalSeconds: this.config.reportIntervalSeconds,
      // After an absence (or a lost Redis) the snapshot may be old: ask for a fresh one.
      reportRequested: wasAbsent,
    };
  }

  /**
   * Stored first: presence and the cluster's state (CONNECTED, `cluster.online`) change only for a
   * report that was stored, never for one that failed or was older than the stored one.
   * Agents number reports by wall-clock milliseconds; one more than a day ahead of this server
   * would freeze the cluster's health (every later report would be "older"), so it is refused.
   */
  async report(agent: AgentPrincipal, report: HealthReport): Promise<{ accepted: boolean }> {
    const now = new Date();
    if (report.sequence > now.getTime() + MAX_SEQUENCE_AHEAD_MS) {
      throw new ValidationError(
        `sequence ${report.sequence} is more than a day ahead of the server clock (${now.getTime()} ms); check the agent's clock`,
        'sequence',
      );
    }
    const accepted = await this.reports.ingest({ ...agent, report, receivedAt: now });
    this.ingested.inc({ outcome: accepted ? 'stored' : 'duplicate' });
    if (!accepted) return { accepted };
    const wasAbsent = await this.presence.touch(agent.clusterId, now.getTime());
    if (wasAbsent)
      await this.connect.markConnected(agent.organizationId, agent.clusterId, report.agentVersion, now);
    return { accepted };
  }
}
