// The agent's install manifest: the one source for what registerCluster returns and for
// agents/linkerd-agent/deploy (rendered from here). The RBAC rules, per mode, and why each is
// needed are in agent-rbac.ts.
import { isIP } from 'node:net';
import { stringify } from 'yaml';
import { FailedPreconditionError } from '@meshfleet/core';
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
                resources: { requests: { cpu: '50m', memory: '192Mi' }, limits: { memory: '512Mi' } },
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

/**
 * Multi-document YAML for `kubectl apply -f -`. Shared objects (the labels) are written out in
 * full each time: no anchors or aliases, which some tools do not read.
 */
export function renderAgentManifest(input: AgentManifestInput): string {
  return agentManifestObjects(input)
    .map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

/** Whether a URL's host is this machine: localhost (and *.localhost), 127.0.0.0/8, ::1, 0.0.0.0. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host);
  return false;
}

/**
 * Refuses an API URL an agent in a cluster cannot reach (this machine's loopback), unless the
 * operator allowed it for agents running next to the API.
 */
export function assertAgentReachable(apiUrl: string, allowLocal: boolean): void {
  if (allowLocal || !isLoopbackUrl(apiUrl)) return;
  throw new FailedPreconditionError(
    `The API's public URL ${apiUrl} points at this machine; an agent in a cluster cannot reach it. ` +
      'Set MESHFLEET_PUBLIC_URL to the address agents reach (https://meshfleet.example.com), ' +
      'or MESHFLEET_PUBLIC_URL_ALLOW_LOCAL=true for agents on this machine.',
    { reason: 'PUBLIC_URL_IS_LOCAL', publicUrl: apiUrl, setting: 'MESHFLEET_PUBLIC_URL' },
  );
}

export interface AgentHelmCommandInput extends AgentManifestInput {
  /** Chart reference: a path, a repo/chart name or an oci:// URL. */
  chart: string;
}

const shellQuote = (v: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;

/** The `helm install` equivalent of the manifest (charts/meshfleet-agent). */
export function renderAgentHelmCommand(input: AgentHelmCommandInput): string {
  const [repository, tag] = splitImage(input.image);
  const sets: Array<[string, string]> = [
    ['apiUrl', input.apiUrl],
    ['clusterId', input.clusterId],
    ['clusterName', input.clusterName],
    ['token', input.bootstrapToken],
    ['image.repository', repository],
    ['image.tag', tag],
    ['mode', input.mode === 'MONITOR' ? 'monitor' : 'managed'],
  ];
  return [
    `helm install ${AGENT_NAME} ${shellQuote(input.chart)}`,
    `--namespace ${AGENT_NAMESPACE} --create-namespace`,
    // Helm splits --set values at commas; a literal comma is written \\,.
    ...sets.map(([k, v]) => `--set-string ${k}=${shellQuote(v.replace(/,/g, '\\,'))}`),
  ].join(' \\\n  ');
}

function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  if (at > image.lastIndexOf('/')) return [image.slice(0, at), image.slice(at + 1)];
  return [image, 'latest'];
}
