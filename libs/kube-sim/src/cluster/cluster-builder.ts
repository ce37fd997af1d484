// Turns a scenario cluster into a running SimCluster: system namespaces, nodes, Linkerd
// (optionally), then the namespaces and workloads, then the traffic graph.
import { randomBytes } from 'node:crypto';
import { builtinApiServices } from '../controllers/apiservice.controller';
import { LinkerdModel } from '../linkerd/linkerd-model';
import { CertAndKey, createTrustAnchor, validity } from '../linkerd/certs';
import { ClusterScenario, WorkloadScenario } from '../scenario/scenario.schema';
import { KubeObject } from '../store/types';
import { metricsServerObjects } from '../metrics/metrics-server';
import { nodeObject } from './nodes';
import { SimCluster } from './sim-cluster';

export interface BuildOptions {
  podReadyDelayMs: number;
  bookmarkIntervalMs?: number;
  watchWindow?: number;
  /** Trust anchors shared by clusters in the same linkerd.trustGroup. */
  trustGroups?: Map<string, Promise<CertAndKey>>;
  /** The cluster CA published in every namespace's kube-root-ca.crt ConfigMap. */
  rootCaPem?: string;
}

export interface BuiltCluster {
  cluster: SimCluster;
  linkerd: LinkerdModel;
}

export async function buildCluster(spec: ClusterScenario, opts: BuildOptions): Promise<BuiltCluster> {
  const cluster = new SimCluster({
    name: spec.name,
    provider: spec.provider,
    region: spec.region,
    kubernetesVersion: spec.kubernetesVersion.replace(/^v/, ''),
    token: spec.token ?? randomBytes(24).toString('base64url'),
    podReadyDelayMs: spec.podReadyDelayMs ?? opts.podReadyDelayMs,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
    watchWindow: opts.watchWindow ?? 500,
    ...(opts.rootCaPem ? { rootCaPem: opts.rootCaPem } : {}),
  });
  const linkerd = new LinkerdModel(cluster);
  cluster.start();
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    cluster.ensure({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
    });
  for (const api of builtinApiServices()) cluster.ensure(api);
  cluster.ensure({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  });
  const nodes = typeof spec.nodes === 'number' ? Array.from({ length: spec.nodes }, () => ({})) : spec.nodes;
  nodes.forEach((n, i) =>
    cluster.ensure(
      nodeObject(spec.name, spec.provider, spec.region, cluster.settings.kubernetesVersion, i, n),
    ),
  );
  if (spec.metricsServer) for (const o of metricsServerObjects()) cluster.ensure(o);
  const installLinkerd = async (): Promise<void> => {
    if (!spec.linkerd) return;
    const group = spec.linkerd.trustGroup;
    let shared: CertAndKey | undefined;
    if (group && opts.trustGroups) {
      if (!opts.trustGroups.has(group))
        opts.trustGroups.set(group, createTrustAnchor(validity(spec.linkerd.trustAnchorValidityDays)));
      shared = await opts.trustGroups.get(group);
    }
    await linkerd.install(spec.linkerd, shared);
    await waitFor(
      () => !!linkerd.injectionConfig() || linkerd.identityProblem(spec.linkerd!.namespace) !== undefined,
      10_000,
    );
  };
  const createWorkloads = (): void => {
    for (const ns of spec.namespaces) {
      cluster.ensure({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns.name,
          labels: { 'kubernetes.io/metadata.name': ns.name, ...ns.labels },
          annotations: { ...ns.annotations, ...(ns.inject ? { 'linkerd.io/inject': ns.inject } : {}) },
        },
      });
      for (const w of ns.workloads) for (const o of workloadObjects(ns.name, w)) cluster.ensure(o);
    }
  };
  if (spec.linkerd && !spec.linkerd.injectExistingPods) {
    createWorkloads();
    await installLinkerd();
  } else {
    await installLinkerd();
    linkerd.proxyVersionOverride = spec.linkerd?.dataPlaneVersion;
    createWorkloads();
    if (linkerd.proxyVersionOverride) {
      // Keep the old proxy version until every workload pod has been created (and injected).
      const expected = spec.namespaces
        .flatMap((n) => n.workloads)
        .reduce(
          (sum, w) =>
            sum +
            (w.kind === 'DaemonSet'
              ? nodes.length
              : w.kind === 'CronJob'
                ? 0
                : w.kind === 'Job'
                  ? 1
                  : w.replicas),
          0,
        );
      const namespaces = new Set(spec.namespaces.map((n) => n.name));
      await waitFor(
        () =>
          cluster.store.list('/pods').filter((p) => namespaces.has(p.metadata.namespace ?? '')).length >=
          expected,
        10_000,
      );
      linkerd.proxyVersionOverride = undefined;
    }
  }
  linkerd.edges.push(
    ...spec.traffic.map((t) => ({
      from: t.from,
      to: t.to,
      rps: t.rps,
      connections: t.connections,
      successRate: t.successRate,
    })),
  );
  return { cluster, linkerd };
}

export function workloadObjects(namespace: string, w: WorkloadScenario): KubeObject[] {
  const labels = { app: w.name, 'app.kubernetes.io/name': w.name, ...w.labels };
  const sa = w.serviceAccount ?? w.name;
  const annotations = { ...(w.inject ? { 'linkerd.io/inject': w.inject } : {}), ...w.annotations };
  const batch = w.kind === 'Job' || w.kind === 'CronJob';
  const template = {
    metadata: { labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      serviceAccountName: sa,
      ...(batch ? { restartPolicy: 'Never' } : {}),
      ...(w.hostNetwork !== undefined ? { hostNetwork: w.hostNetwork } : {}),
      ...(w.automountServiceAccountToken !== undefined
        ? { automountServiceAccountToken: w.automountServiceAccountToken }
        : {}),
      containers: [
        {
          name: w.name,
          image: w.image,
          ports: [
            { name: 'http', containerPort: w.port, protocol: 'TCP' },
            ...w.extraPorts.map((p) => ({ containerPort: p, protocol: 'TCP' })),
          ],
          env: [{ name: 'PORT', value: String(w.port) }],
        },
      ],
    },
  };
  let spec: Record<string, unknown>;
  if (w.kind === 'Job') spec = { template };
  else if (w.kind === 'CronJob') spec = { schedule: '0 3 * * *', jobTemplate: { spec: { template } } };
  else {
    spec = { selector: { matchLabels: { app: w.name } }, template };
    if (w.kind !== 'DaemonSet') spec['replicas'] = w.replicas;
    if (w.kind === 'StatefulSet') spec['serviceName'] = w.name;
  }
  const apiVersion = batch ? 'batch/v1' : 'apps/v1';
  const out: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace } },
    { apiVersion, kind: w.kind, metadata: { name: w.name, namespace, labels }, spec },
  ];
  if (w.service && !batch)
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: w.name, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: { app: w.name },
        ports: [
          { name: 'http', port: w.port, targetPort: w.port, protocol: 'TCP' },
          ...w.extraPorts.map((p) => ({ name: `tcp-${p}`, port: p, targetPort: p, protocol: 'TCP' })),
        ],
      },
    });
  if (w.pdb)
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: w.name, namespace, labels },
      spec: {
        ...(w.pdb.minAvailable !== undefined ? { minAvailable: w.pdb.minAvailable } : {}),
        ...(w.pdb.maxUnavailable !== undefined ? { maxUnavailable: w.pdb.maxUnavailable } : {}),
        selector: { matchLabels: { app: w.name } },
      },
    });
  return out;
}

/** Polls until `done()` or the deadline (used while a pre-installed control plane starts). */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return done();
}
