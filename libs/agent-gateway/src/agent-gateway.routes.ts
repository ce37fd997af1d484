import { Injectable, OnModuleInit } from '@nestjs/common';
import { ValidationError } from '@meshfleet/core';
import { AgentGatewayService } from './agent-gateway.service';
import { AgentRouter } from './agent-router';
import { AgentTasksService } from './agent-tasks.service';
import { EnrollmentService } from './enrollment.service';

/** The body of a task call names the task of its URL. */
function sameTask(bodyTaskId: string, id: string): void {
  if (bodyTaskId !== id) throw new ValidationError('taskId does not match the URL', 'taskId');
}

/** The gateway's own /agent/v1 routes: thin, the router has authenticated and validated. */
@Injectable()
export class AgentGatewayRoutes implements OnModuleInit {
  constructor(
    private readonly router: AgentRouter,
    private readonly enrollment: EnrollmentService,
    private readonly gateway: AgentGatewayService,
    private readonly tasks: AgentTasksService,
  ) {}

  onModuleInit(): void {
    const r = this.router;
    r.serve('enroll', ({ body, client }) => this.enrollment.enroll(body, client));
    r.serve('heartbeat', ({ agent, body }) => this.gateway.heartbeat(agent, body));
    r.serve('report', ({ agent, body }) => this.gateway.report(agent, body));
    r.serve('nextTask', async ({ agent, query, signal }) => {
      const wait = Math.min(query.waitSeconds, this.gateway.pollTimeoutSeconds);
      return { task: await this.tasks.poll(agent.clusterId, wait * 1000, signal) };
    });
    r.serve('taskEvent', async ({ agent, params, body }) => {
      sameTask(body.taskId, params.id);
      await this.tasks.recordEvent(agent, params.id, body);
    });
    r.serve('taskResult', async ({ agent, params, body }) => {
      sameTask(body.taskId, params.id);
      await this.tasks.recordResult(agent, params.id, body);
    });
  }
}
