import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import {
  EnrollRequestSchema,
  EnrollResponse,
  HealthReportSchema,
  HeartbeatResponse,
  HeartbeatSchema,
  TaskEventSchema,
  TaskPollResponse,
  TaskResultSchema,
} from '@meshfleet/agent-protocol';
import { AgentOnly, AgentPrincipal, CurrentAgent, Public } from '@meshfleet/auth';
import { ValidationError } from '@meshfleet/core';
import { AgentGatewayService } from './agent-gateway.service';
import { AgentTasksService } from './agent-tasks.service';
import { EnrollmentService } from './enrollment.service';
import { parseBody } from './protocol';

/** The agent gateway: outbound-only agents call these over HTTPS. Thin: parse, delegate. */
@Controller('agent/v1')
export class AgentGatewayController {
  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly gateway: AgentGatewayService,
    private readonly tasks: AgentTasksService,
  ) {}

  @Post('enroll')
  @Public()
  @HttpCode(200)
  enroll(@Body() body: unknown, @Req() req: Request): Promise<EnrollResponse> {
    const ua = req.headers['user-agent'];
    return this.enrollment.enroll(parseBody(EnrollRequestSchema, body), {
      ip: req.ip ?? null,
      userAgent: typeof ua === 'string' ? ua : null,
      requestId:
        typeof (req as { id?: unknown }).id === 'string' ? (req as unknown as { id: string }).id : null,
    });
  }

  @Post('heartbeat')
  @AgentOnly()
  @HttpCode(200)
  heartbeat(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown): Promise<HeartbeatResponse> {
    this.gateway.limit(agent);
    return this.gateway.heartbeat(agent, parseBody(HeartbeatSchema, body));
  }

  @Post('reports')
  @AgentOnly()
  @HttpCode(202)
  report(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown): Promise<{ accepted: boolean }> {
    this.gateway.limit(agent);
    return this.gateway.report(agent, parseBody(HealthReportSchema, body));
  }

  @Get('tasks/next')
  @AgentOnly()
  async nextTask(
    @CurrentAgent() agent: AgentPrincipal,
    @Query('waitSeconds') waitSeconds: string | undefined,
    @Req() req: Request,
  ): Promise<TaskPollResponse> {
    this.gateway.limit(agent);
    const wait = waitSeconds === undefined ? 0 : Number(waitSeconds);
    if (!Number.isFinite(wait) || wait < 0)
      throw new ValidationError('waitSeconds must be a non-negative number', 'waitSeconds');
    const abort = new AbortController();
    req.on('close', () => abort.abort());
    const max = this.gateway.pollTimeoutSeconds;
    const task = await this.tasks.poll(agent.clusterId, Math.min(wait, max) * 1000, abort.signal);
    return { task };
  }

  @Post('tasks/:id/events')
  @AgentOnly()
  @HttpCode(204)
  async taskEvent(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<void> {
    this.gateway.limit(agent);
    const event = parseBody(TaskEventSchema, body);
    if (event.taskId !== id) throw new ValidationError('taskId does not match the URL', 'taskId');
    await this.tasks.recordEvent(agent, id, event);
  }

  @Post('tasks/:id/result')
  @AgentOnly()
  @HttpCode(204)
  async taskResult(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<void> {
    this.gateway.limit(agent);
    const result = parseBody(TaskResultSchema, body);
    if (result.taskId !== id) throw new ValidationError('taskId does not match the URL', 'taskId');
    await this.tasks.recordResult(agent, id, result);
  }
}
