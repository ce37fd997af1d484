import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { assertDns1123Label } from '@meshfleet/core';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { AgentTask, Role } from '@meshfleet/db';
import { ClustersService } from '@meshfleet/clusters';
import { AuditService } from '@meshfleet/audit';
import { PrismaService } from '@meshfleet/db';
import { AgentTasksService } from './agent-tasks.service';
import { AgentTaskEventType, AgentTaskType } from './dto/agent-task.types';

const toType = (t: AgentTask): AgentTaskType => ({
  ...t,
  params: t.params as Record<string, unknown>,
  events: (t.events as unknown as (Omit<AgentTaskEventType, 'at'> & { at: string })[]).map((e) => ({
    ...e,
    at: new Date(e.at),
  })),
  output: (t.output as Record<string, unknown> | null) ?? null,
  error: (t.error as Record<string, unknown> | null) ?? null,
});

@Resolver(() => AgentTaskType)
export class DiagnosticsResolver {
  constructor(
    private readonly tasks: AgentTasksService,
    private readonly clusters: ClustersService,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
  ) {}

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
    const cluster = await this.clusters.get(actor.organizationId, clusterId);
    const task = await this.tasks.create({
      organizationId: actor.organizationId,
      clusterId: cluster.id,
      kind: 'COLLECT_PROXY_METRICS',
      params: { namespace, pod },
      requestedBy: actor.actorName,
      ttlSeconds: 120,
    });
    await this.audit.recordActor(
      this.prisma,
      actor,
      'diagnostics.collect-proxy-metrics',
      { type: 'Cluster', id: cluster.id },
      {
        taskId: task.id,
        namespace,
        pod,
      },
    );
    return toType(task);
  }

  @Query(() => AgentTaskType)
  @Allow(Role.VIEWER)
  async agentTask(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<AgentTaskType> {
    return toType(await this.tasks.get(p.organizationId, id));
  }
}
