import { Inject, Injectable } from '@nestjs/common';
import { Heartbeat, HeartbeatResponse, HealthReport } from '@meshfleet/agent-protocol';
import { AppConfig } from '@meshfleet/config';
import { AgentPrincipal } from '@meshfleet/auth';
import { ConnectBatcher } from './connect.batcher';
import { PresenceService } from './presence.service';
import { RateLimiter } from './rate-limiter';
import { ReportIngestBatcher } from './reports/report-ingest.batcher';

@Injectable()
export class AgentGatewayService {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly presence: PresenceService,
    private readonly connect: ConnectBatcher,
    private readonly reports: ReportIngestBatcher,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.agentRateLimitPerMinute);
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

  async report(agent: AgentPrincipal, report: HealthReport): Promise<{ accepted: boolean }> {
    const now = new Date();
    const wasAbsent = await this.presence.touch(agent.clusterId, now.getTime());
    if (wasAbsent)
      await this.connect.markConnected(agent.organizationId, agent.clusterId, report.agentVersion, now);
    const accepted = await this.reports.ingest({ ...agent, report, receivedAt: now });
    return { accepted };
  }
}
