// The agent Helm chart's RBAC template (charts/meshfleet-agent/templates/rbac.yaml), generated
// from the same objects as the agent manifest (the rules per mode of agent-rbac.ts), so the two
// never drift. Write it with
// `node scripts/generate-agent-chart-rbac.mjs`; a test checks the committed file equals this.
import { stringify } from 'yaml';
import { agentManifestObjects, AGENT_NAMESPACE } from './agent-manifest';

export const AGENT_CHART_MODES = ['monitor', 'managed'] as const;
export type AgentChartMode = (typeof AGENT_CHART_MODES)[number];

const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
const NS_PLACEHOLDER = '__RELEASE_NAMESPACE__';

/** The RBAC objects of the agent manifest for a mode, with the namespace left to the chart. */
function rbacObjects(mode: AgentChartMode): Record<string, unknown>[] {
  const objects = agentManifestObjects({
    clusterId: '',
    clusterName: '',
    apiUrl: 'https://unused.invalid',
    bootstrapToken: '',
    image: '',
    mode: mode === 'monitor' ? 'MONITOR' : 'MANAGED',
  }).filter((o) => RBAC_KINDS.has(o['kind'] as string));
  return JSON.parse(
    JSON.stringify(objects).replaceAll(`"${AGENT_NAMESPACE}"`, `"${NS_PLACEHOLDER}"`),
  ) as Record<string, unknown>[];
}

function renderMode(mode: AgentChartMode): string {
  return rbacObjects(mode)
    .map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n')
    .replaceAll(NS_PLACEHOLDER, '{{ .Release.Namespace }}');
}

export function agentChartRbacTemplate(): string {
  const [monitor, managed] = AGENT_CHART_MODES.map(renderMode);
  return [
    '{{- /* Generated from libs/clusters/src/agent-rbac.ts (through agent-manifest.ts) by scripts/generate-agent-chart-rbac.mjs: do not edit. */}}',
    '{{- if eq .Values.mode "monitor" }}',
    monitor!.trimEnd(),
    '{{- else }}',
    managed!.trimEnd(),
    '{{- end }}',
    '',
  ].join('\n');
}
