// The documented webhook body: { type, timestamp, data: { organization, cluster, <subject>, link } }.

export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: {
    organization: { id: string; name: string };
    cluster: { id: string; name: string } | null;
    alert?: Record<string, unknown>;
    operation?: Record<string, unknown>;
    rollout?: Record<string, unknown>;
    details?: Record<string, unknown>;
    link: string;
  };
}

export interface PayloadSource {
  type: string;
  createdAt: Date;
  organization: { id: string; name: string };
  cluster: { id: string; name: string } | null;
  payload: Record<string, unknown>;
  publicUrl: string;
}

export function buildPayload(s: PayloadSource): WebhookPayload {
  const { clusterName: _name, ...p } = s.payload;
  void _name;
  const data: WebhookPayload['data'] = {
    organization: s.organization,
    cluster: s.cluster,
    link: s.cluster ? `${s.publicUrl}/clusters/${s.cluster.id}` : s.publicUrl,
  };
  const [family] = s.type.split('.');
  if (family === 'alert') {
    const { alertId, ...rest } = p;
    data.alert = { id: alertId, status: s.type === 'alert.firing' ? 'FIRING' : 'RESOLVED', ...rest };
    data.link = `${s.publicUrl}/alerts/${String(alertId)}`;
  } else if (family === 'operation') {
    const { operationId, ...rest } = p;
    data.operation = { id: operationId, ...rest };
    data.link = `${s.publicUrl}/operations/${String(operationId)}`;
  } else if (family === 'rollout') {
    const { rolloutId, ...rest } = p;
    data.rollout = { id: rolloutId, ...rest };
    data.link = `${s.publicUrl}/rollouts/${String(rolloutId)}`;
  } else data.details = p;
  return { type: s.type, timestamp: s.createdAt.toISOString(), data };
}

/** A Slack incoming-webhook body (also understood by Mattermost and Rocket.Chat). */
export function slackBody(p: WebhookPayload): { text: string } {
  const where = p.data.cluster ? ` on ${p.data.cluster.name}` : '';
  let line: string;
  if (p.data.alert) {
    const a = p.data.alert;
    const state = p.type === 'alert.firing' ? ':rotating_light: FIRING' : ':white_check_mark: RESOLVED';
    const was = p.type === 'alert.firing' && a.previousSeverity ? ` (was ${String(a.previousSeverity)})` : '';
    line = `${state} [${String(a.severity)}]${was} ${String(a.kind)}${where}: ${String(a.summary)}`;
  } else if (p.data.operation) {
    const o = p.data.operation;
    line = `Operation ${String(o.kind)}${where}: ${p.type.split('.')[1]}${o.reason ? ` (${String(o.reason)})` : ''}`;
  } else if (p.data.rollout) {
    const r = p.data.rollout;
    line = `Rollout ${String(r.name)}: ${p.type.split('.')[1]}${r.reason ? ` (${String(r.reason)})` : ''}`;
  } else line = `${p.type}${where}`;
  return { text: `${line} <${p.data.link}|details>` };
}
