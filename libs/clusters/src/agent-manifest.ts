// The agent's install manifest: the one source for what registerCluster returns and for
// agents/linkerd-agent/deploy (rendered from here). The RBAC rules, per mode, and why each is
// needed are in agent-rbac.ts.
import { stringify } from 'yaml';
import { agentNamespaceRules, agentRbacRules, kubernetesRules, type AgentMode } from './agent-rbac';

export const AGENT_NAMESPACE = 'meshfleet-system';
export const AGENT_NAME = 'meshfleet-agent';
export const AGENT_SECRET = 'meshfleet-agent';

export interface AgentManifestInput {
  clusterId: string;
  clusterName: string;
  apiUrl: string;
  bootstrapToken: string;
  image: string;
  /** MONITOR: read-only RBAC; MANAGED: also what lifecycle operations write (agent-rbac.ts). */
  mode: AgentMode;
}

const labels = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'meshfleet' };

export function agentManifestObjects(input: AgentManifestInput): Record<string, unknown>[] {
  const ns = AGENT_NAMESPACE;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: AGENT_NAME, namespace: ns, labels } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: AGENT_SECRET, namespace: ns, labels },
      type: 'Opaque',
      // The agent replaces bootstrapToken by its own credential after enrolling.
      stringData: { apiUrl: input.apiUrl, clusterId: input.clusterId, bootstrapToken: input.bootstrapToken },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: AGENT_NAME,
        labels: { ...labels, 'meshfleet.io/agent-mode': input.mode.toLowerCase() },
      },
      rules: kubernetesRules(agentRbacRules(input.mode)),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: AGENT_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: ns }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: AGENT_NAME, namespace: ns, labels },
      rules: kubernetesRules(agentNamespaceRules(AGENT_SECRET)),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: AGENT_NAME, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: ns }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: AGENT_NAME, namespace: ns, labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
        template: {
          metadata: { labels, annotations: { 'linkerd.io/inject': 'disabled' } },
          spec: {
            serviceAccountName: AGENT_NAME,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'agent',
                image: input.image,
                env: [
                  {
                    name: 'MESHFLEET_API_URL',
                    valueFrom: { secretKeyRef: { name: AGENT_SECRET, key: 'apiUrl' } },
                  },
                  { name: 'MESHFLEET_AGENT_SECRET', value: `${ns}/${AGENT_SECRET}` },
                  { name: 'MESHFLEET_CLUSTER_NAME', value: input.clusterName },
                ],
                ports: [{ name: 'http', containerPort: 9090 }],
                livenessProbe: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 20 },
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
  ];
}

/** Multi-document YAML for `kubectl apply -f -`. */
export function renderAgentManifest(input: AgentManifestInput): string {
  return agentManifestObjects(input)
    .map((o) => stringify(o, { lineWidth: 0 }))
    .join('---\n');
}
