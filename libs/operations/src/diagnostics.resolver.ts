import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { assertDns1123Label } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { DiagnosticsService } from './diagnostics.service';
import { AgentTaskType } from './dto/agent-task.types';
import { AttemptWithSteps } from './operations.repository';

const toType = (t: AttemptWithSteps): AgentTaskType => ({
  id: t.id,
  clusterId: t.clusterId,
  kind: t.kind,
  params: t.params as Record<string, unknown>,
  status: t.status,
  requestedBy: t.requestedBy,
  createdAt: t.createdAt,
  deadlineAt: t.deadlineAt,
  dispatchedAt: t.dispatchedAt,
  finishedAt: t.finishedAt,
  events: t.steps.map((s) => ({ ...s, at: new Date(s.at) })),
  output: (t.output as Record<string, unknown> | null) ?? null,
  error: (t.error as Record<string, unknown> | null) ?? null,
});

@Resolver(() => AgentTaskType)
export class DiagnosticsResolver {
  constructor(private readonly diagnostics: DiagnosticsService) {}

  @Mutation(() => AgentTaskType, {
    description: "Asks the cluster's agent for one pod's linkerd-proxy metrics (like Send Diagnostics)",
  })
  @Allow(Role.EDITOR)
  async collectProxyMetrics(
    @CurrentActor() actor: Actor,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('namespace') namespace: string,
    @Args('pod') pod: string,
  ): Promise<AgentTaskType> {
    assertDns1123Label(namespace, 'namespace');
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod) || pod.length > 253) assertDns1123Label(pod, 'pod');
    return toType(await this.diagnostics.collectProxyMetrics(actor, clusterId, { namespace, pod }));
  }

  @Query(() => AgentTaskType)
  @Allow(Role.VIEWER)
  async agentTask(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<AgentTaskType> {
    return toType(await this.diagnostics.task(p.organizationId, id));
  }
}
