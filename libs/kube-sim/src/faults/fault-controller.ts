// Every fault kind behind one façade, used programmatically and by the admin endpoint.
import { z } from 'zod';
import { KubeError } from '../api/kube-error';
import type { SimCluster } from '../cluster/sim-cluster';
import { readyNodeStatus } from '../cluster/nodes';
import { ownerOf } from '../controllers/helpers';
import type { LinkerdModel } from '../linkerd/linkerd-model';
import { KubeObject } from '../store/types';

export const faultSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('crashPods'),
    namespace: z.string(),
    labels: z.record(z.string(), z.string()).default({}),
  }),
  z.object({
    kind: z.literal('stallPods'),
    namespace: z.string(),
    labels: z.record(z.string(), z.string()).default({}),
  }),
  z.object({ kind: z.literal('deploymentNeverReady'), namespace: z.string(), name: z.string() }),
  z.object({
    kind: z.literal('notReadyWhenMeshed'),
    namespace: z.string(),
    name: z.string(),
    workloadKind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']).default('Deployment'),
  }),
  z.object({
    kind: z.literal('apiErrors'),
    rate: z.number().min(0).max(1),
    code: z.union([z.literal(500), z.literal(429)]).default(500),
  }),
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0) }),
  z.object({ kind: z.literal('cutOff'), enabled: z.boolean().default(true) }),
  z.object({ kind: z.literal('loseNode'), name: z.string().optional() }),
  z.object({ kind: z.literal('restoreNode'), name: z.string() }),
  z.object({ kind: z.literal('expireIssuer'), namespace: z.string().default('linkerd') }),
  z.object({ kind: z.literal('mismatchIssuer'), namespace: z.string().default('linkerd') }),
  z.object({ kind: z.literal('corruptIssuer'), namespace: z.string().default('linkerd') }),
  z.object({ kind: z.literal('expireTrustAnchor'), namespace: z.string().default('linkerd') }),
  z.object({ kind: z.literal('denyAccess'), resources: z.array(z.string()) }),
  z.object({
    kind: z.literal('proxyMemoryLeak'),
    namespace: z.string(),
    labels: z.record(z.string(), z.string()).default({}),
    container: z.string().default('linkerd-proxy'),
    /** Growth of the container's working set (default 1 MiB/s). */
    bytesPerSecond: z
      .number()
      .positive()
      .default(1024 * 1024),
  }),
  z.object({
    kind: z.literal('oomKill'),
    namespace: z.string(),
    /** One pod by name, or every running pod matching the labels. */
    name: z.string().optional(),
    labels: z.record(z.string(), z.string()).default({}),
    container: z.string().default('linkerd-proxy'),
  }),
]);

export type FaultSpec = z.input<typeof faultSpecSchema>;

export class FaultController {
  constructor(
    private readonly cluster: SimCluster,
    private readonly linkerd: LinkerdModel,
  ) {}

  /** Pods matching the labels in `namespace` crash-loop (existing and new ones). Returns a rule id. */
  crashPods(namespace: string, labels: Record<string, string> = {}): number {
    return this.rule('crash', namespace, labels);
  }

  /** New pods matching the labels never leave ContainerCreating. */
  stallPods(namespace: string, labels: Record<string, string> = {}): number {
    return this.rule('stall', namespace, labels);
  }

  /** The Deployment's pods run but never turn Ready, so its rollout never completes. */
  deploymentNeverReady(namespace: string, name: string): number {
    const d = this.cluster.objects.get(this.cluster.type('apps', 'deployments'), namespace, name);
    const labels =
      (d['spec'] as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
    return this.rule('notReady', namespace, labels);
  }

  /**
   * The workload's pods never turn Ready while they carry a linkerd-proxy (the app fails its
   * readiness probe once meshed); unmeshed pods are fine, so removing the injection annotation
   * and restarting heals it. Returns a rule id.
   */
  notReadyWhenMeshed(
    namespace: string,
    name: string,
    workloadKind: 'Deployment' | 'StatefulSet' | 'DaemonSet' = 'Deployment',
  ): number {
    const plural = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' }[
      workloadKind
    ];
    const w = this.cluster.objects.get(this.cluster.type('apps', plural), namespace, name);
    const labels =
      (w['spec'] as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
    return this.rule('notReadyMeshed', namespace, labels);
  }

  /** The container's memory grows steadily in matching pods (existing and new) until cleared. */
  proxyMemoryLeak(
    namespace: string,
    labels: Record<string, string> = {},
    container = 'linkerd-proxy',
    bytesPerSecond = 1024 * 1024,
  ): number {
    return this.linkerd.usage.addLeak({ namespace, matchLabels: labels, container, bytesPerSecond }).id;
  }

  /** OOM-kills the container in matching running pods now; returns the pods it hit. */
  oomKill(
    namespace: string,
    opts: { name?: string; labels?: Record<string, string>; container?: string } = {},
  ): string[] {
    const container = opts.container ?? 'linkerd-proxy';
    const pods = this.cluster.store
      .list('/pods', namespace)
      .filter((p) => (opts.name ? p.metadata.name === opts.name : true))
      .filter((p) => Object.entries(opts.labels ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v));
    const hit = pods.filter((p) => this.cluster.controllers.kubelet.oomKill(p, container));
    if (hit.length === 0)
      throw new KubeError(
        'NotFound',
        `no running pod in "${namespace}" has a container "${container}" to OOM-kill`,
      );
    return hit.map((p) => p.metadata.name ?? '');
  }

  removeRule(id: number): void {
    this.cluster.workloadFaults.remove(id);
    this.cluster.controllers.kubelet.resyncAll();
  }

  apiErrors(rate: number, code: 500 | 429 = 500): void {
    this.cluster.faults.error = rate > 0 ? { rate, code } : undefined;
  }

  latency(ms: number): void {
    this.cluster.faults.latencyMs = ms;
  }

  /** The API stops answering: connections are dropped, open watches die. */
  cutOff(enabled = true): void {
    this.cluster.faults.cutOff = enabled;
    if (enabled) this.cluster.watches.closeAll(true);
  }

  denyAccess(resources: string[]): void {
    this.cluster.faults.deniedResources = resources;
  }

  /** A node goes NotReady/unreachable; its pods are evicted and rescheduled elsewhere. */
  loseNode(name?: string): string {
    const nodes = this.cluster.type('', 'nodes');
    const node = name
      ? this.cluster.objects.get(nodes, undefined, name)
      : this.cluster.store.list('/nodes')[0];
    if (!node) throw new KubeError('NotFound', 'the cluster has no nodes');
    const status = (node['status'] ?? {}) as { conditions?: Array<Record<string, unknown>> };
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = (status.conditions ?? []).map((c) =>
      c['type'] === 'Ready'
        ? {
            ...c,
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
            lastTransitionTime: now,
          }
        : c,
    );
    const taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now }];
    const tainted =
      this.cluster.objects.writeObject(nodes, { ...node, spec: { ...(node['spec'] as object), taints } }) ??
      node;
    this.cluster.objects.writeStatus(nodes, tainted, { ...status, conditions });
    this.cluster.events.record(
      node,
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name} status is now: NodeNotReady`,
      'node-controller',
    );
    const pods = this.cluster.type('', 'pods');
    for (const p of this.cluster.store.list('/pods')) {
      if ((p['spec'] as { nodeName?: string }).nodeName !== node.metadata.name) continue;
      if (ownerOf(p)?.kind === 'DaemonSet') continue;
      this.cluster.objects.delete(pods, p.metadata.namespace, p.metadata.name ?? '');
    }
    return node.metadata.name ?? '';
  }

  restoreNode(name: string): void {
    const nodes = this.cluster.type('', 'nodes');
    const node = this.cluster.objects.get(nodes, undefined, name);
    const addresses =
      (node['status'] as { addresses?: Array<{ type: string; address: string }> }).addresses ?? [];
    const ip = addresses.find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
    const { taints: _t, ...spec } = node['spec'] as Record<string, unknown>;
    const untainted = this.cluster.objects.writeObject(nodes, { ...node, spec } as KubeObject) ?? node;
    this.cluster.objects.writeStatus(
      nodes,
      untainted,
      readyNodeStatus(ip, name, this.cluster.settings.kubernetesVersion),
    );
  }

  expireIssuer(namespace = 'linkerd'): Promise<void> {
    return this.linkerd.breakIssuer('expire', namespace);
  }

  /** Replaces the issuer with one signed by an unrelated trust anchor. */
  mismatchIssuer(namespace = 'linkerd'): Promise<void> {
    return this.linkerd.breakIssuer('mismatch', namespace);
  }

  /** Replaces the issuer certificate with bytes that do not parse. */
  corruptIssuer(namespace = 'linkerd'): Promise<void> {
    return this.linkerd.breakIssuer('corrupt', namespace);
  }

  /** Replaces the trust roots with an expired anchor (and an issuer it signed). */
  expireTrustAnchor(namespace = 'linkerd'): Promise<void> {
    return this.linkerd.rotateTrustAnchor(namespace, { expired: true });
  }

  /** Clears API and workload faults (certificates and nodes stay as they are). */
  clear(): void {
    this.cluster.faults.clear();
    this.cluster.workloadFaults.clear();
    this.linkerd.usage.clearLeaks();
    this.cluster.controllers.kubelet.resyncAll();
  }

  snapshot(): unknown {
    return {
      api: this.cluster.faults.snapshot(),
      workloads: this.cluster.workloadFaults.list(),
      memoryLeaks: this.linkerd.usage.listLeaks(),
    };
  }

  /** Applies a fault described as data (the admin endpoint's body). */
  async apply(raw: unknown): Promise<unknown> {
    const spec = faultSpecSchema.parse(raw);
    switch (spec.kind) {
      case 'crashPods':
        return { id: this.crashPods(spec.namespace, spec.labels) };
      case 'stallPods':
        return { id: this.stallPods(spec.namespace, spec.labels) };
      case 'deploymentNeverReady':
        return { id: this.deploymentNeverReady(spec.namespace, spec.name) };
      case 'notReadyWhenMeshed':
        return { id: this.notReadyWhenMeshed(spec.namespace, spec.name, spec.workloadKind) };
      case 'apiErrors':
        return this.apiErrors(spec.rate, spec.code);
      case 'latency':
        return this.latency(spec.ms);
      case 'cutOff':
        return this.cutOff(spec.enabled);
      case 'loseNode':
        return { node: this.loseNode(spec.name) };
      case 'restoreNode':
        return this.restoreNode(spec.name);
      case 'expireIssuer':
        return this.expireIssuer(spec.namespace);
      case 'mismatchIssuer':
        return this.mismatchIssuer(spec.namespace);
      case 'corruptIssuer':
        return this.corruptIssuer(spec.namespace);
      case 'expireTrustAnchor':
        return this.expireTrustAnchor(spec.namespace);
      case 'denyAccess':
        return this.denyAccess(spec.resources);
      case 'proxyMemoryLeak':
        return { id: this.proxyMemoryLeak(spec.namespace, spec.labels, spec.container, spec.bytesPerSecond) };
      case 'oomKill':
        return {
          pods: this.oomKill(spec.namespace, {
            ...(spec.name ? { name: spec.name } : {}),
            labels: spec.labels,
            container: spec.container,
          }),
        };
    }
  }

  private rule(
    kind: 'crash' | 'stall' | 'notReady' | 'notReadyMeshed',
    namespace: string,
    labels: Record<string, string>,
  ): number {
    const rule = this.cluster.workloadFaults.add(kind, namespace, labels);
    this.cluster.controllers.kubelet.resyncAll();
    return rule.id;
  }
}
