// Alerts and webhooks through the real API and worker: this test plays the agent over HTTP and
// runs local receivers on 127.0.0.1 (allowed by MESHFLEET_WEBHOOK_ALLOWED_HOSTS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import pg from 'pg';
import { INestApplicationContext } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { AlertsEvaluator } from '@meshfleet/alerts';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, eventually, registerAndEnroll } from './agent-http';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiver whose answer per path the test decides (default 200). */
async function startReceiver(port = 0) {
  const got: Received[] = [];
  const status = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        path: req.url ?? '',
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(status.get(req.url ?? '') ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, status, url, server, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const until = <T>(fn: () => Promise<T> | T, ok: (v: T) => boolean) => eventually(fn, ok);

let reportSequence = Date.now();

/** Posts a report whose one control-plane check passes or fails, as a cluster's agent. */
async function postControlPlaneReport(api: TestApi, credential: string, healthy: boolean): Promise<void> {
  const r = exampleHealthReport() as any;
  r.sequence = ++reportSequence;
  r.generatedAt = new Date().toISOString();
  r.certificates = [];
  r.checks = {
    success: healthy,
    categories: [
      {
        name: 'linkerd-control-plane',
        checks: [
          { description: 'control plane pods are ready', result: healthy ? 'success' : 'error', fatal: true },
        ],
      },
    ],
  };
  assert.equal((await agentCall(api, 'POST', '/reports', credential, r)).status, 202);
}

describe('alerts and webhooks', () => {
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  let api: TestApi;
  let worker: INestApplicationContext;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let keyA: string;
  let keyB: string;
  let secretA: string;
  let endpointA: string;
  let cluster: { id: string; credential: string };

  const report = (credential: string, healthy: boolean) => postControlPlaneReport(api, credential, healthy);
  const enroll = (name: string, key: string) =>
    registerAndEnroll(api, key, { name, labels: { env: 'prod' } });
  const createEndpoint = async (key: string, url: string, eventTypes: string[], extra = '') => {
    const r = await api.gql(
      `mutation($u: String!, $t: [String!]!) { createWebhookEndpoint(input: { url: $u, eventTypes: $t${extra} }) { secret endpoint { id enabled } } }`,
      { u: url, t: eventTypes },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.createWebhookEndpoint as { secret: string; endpoint: { id: string } };
  };
  const alerts = async (status?: string) =>
    (
      await api.gql(
        `query($s: AlertStatus) { alerts(filter: { status: $s, kind: CONTROL_PLANE_UNHEALTHY }) { totalCount edges { node { id status severity summary clusterId acknowledgedBy } } } }`,
        { s: status ?? null },
        keyA,
      )
    ).data!.alerts;
  const deliveries = async (endpointId: string) =>
    (
      await api.gql(
        `query($e: ID!) { webhookDeliveries(endpointId: $e) { edges { node { id eventType status attemptCount lastStatusCode attempts { attemptNo statusCode error latencyMs } } } } }`,
        { e: endpointId },
        keyA,
      )
    ).data!.webhookDeliveries.edges.map((e: any) => e.node);
  const at = (path: string, type?: string) =>
    receiver.got.filter((r) => r.path === path && (!type || JSON.parse(r.body).type === type));

  before(async () => {
    const env = { MESHFLEET_ENCRYPTION_KEYS: keys, MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    api = await startApi({ ...env, MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000' });
    ({ apiKey: keyA } = await api.newOrg('alerts-a'));
    ({ apiKey: keyB } = await api.newOrg('alerts-b'));
    worker = await startWorkerFor(api, {
      ...env,
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      MESHFLEET_WEBHOOK_RETRY_SCHEDULE: '0,400ms,400ms,400ms,400ms,400ms,400ms,400ms',
      MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
      MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '2',
    });
    receiver = await startReceiver();
    const a = await createEndpoint(keyA, `${receiver.url}/a`, ['alert.*'], ', clusterSelector: "env=prod"');
    secretA = a.secret;
    endpointA = a.endpoint.id;
    await createEndpoint(keyB, `${receiver.url}/b`, ['*']);
    cluster = await enroll('prod-eu', keyA);
    await report(cluster.credential, true);
  });
  after(async () => {
    await worker?.close();
    await receiver?.close();
    await api?.close();
  });

  it('shows a VIEWER the endpoint host only, and keeps only the host in the audit log', async () => {
    const viewer = (
      await api.gql(`mutation { createApiKey(input: { name: "looker", role: VIEWER }) { secret } }`, {}, keyA)
    ).data!.createApiKey.secret;
    const secretPath = '/services/T000/B000/XXXXsecretXXXX';
    const made = await createEndpoint(keyA, `${receiver.url}${secretPath}?token=abc`, ['cluster.*']);
    const urls = async (key: string) =>
      ((await api.gql('{ webhookEndpoints { id url } }', {}, key)).data!.webhookEndpoints as any[]).find(
        (e) => e.id === made.endpoint.id,
      ).url;
    assert.equal(await urls(keyA), `${receiver.url}${secretPath}?token=abc`, 'ADMIN sees it whole');
    const shown = await urls(viewer);
    assert.equal(shown, `${new URL(receiver.url).origin}/…`);
    const audit = await api.gql(
      '{ auditEvents(filter: { action: "webhook.create" }) { edges { node { metadata } } } }',
      {},
      viewer,
    );
    assert.equal(audit.errors, undefined, JSON.stringify(audit.errors));
    const text = JSON.stringify(audit.data);
    assert.ok(text.includes(new URL(receiver.url).host), 'the host is audited');
    assert.doesNotMatch(text, /XXXXsecretXXXX|token=abc/);
    await api.gql(
      `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }`,
      { id: made.endpoint.id },
      keyA,
    );
  });

  it('shows the secret once: never in endpoint queries', async () => {
    assert.match(secretA, /^whsec_/);
    const r = await api.gql(
      `{ webhookEndpoints { id url eventTypes clusterSelector format enabled } }`,
      {},
      keyA,
    );
    assert.equal(r.data!.webhookEndpoints.length, 1);
    assert.ok(!JSON.stringify(r).includes(secretA.slice(6)));
  });

  it('fires CONTROL_PLANE_UNHEALTHY on an unhealthy report and delivers a verifiable webhook', async () => {
    await report(cluster.credential, false);
    const firing = await until(
      () => alerts('FIRING'),
      (a) => a.totalCount === 1,
    );
    assert.equal(firing.edges[0].node.clusterId, cluster.id);
    assert.equal(firing.edges[0].node.severity, 'CRITICAL');
    const [msg] = await until(
      () => at('/a', 'alert.firing'),
      (m) => m.length === 1,
    );
    const payload = new Webhook(secretA).verify(msg!.body, msg!.headers) as any;
    assert.equal(payload.data.alert.kind, 'CONTROL_PLANE_UNHEALTHY');
    assert.equal(payload.data.alert.status, 'FIRING');
    assert.deepEqual(payload.data.cluster, { id: cluster.id, name: 'prod-eu' });
    assert.equal(payload.data.organization.name, 'alerts-a');
    assert.match(payload.data.link, /^https:\/\/meshfleet\.example\.test\/alerts\//);
    assert.match(msg!.headers['webhook-signature']!, /^v1,/);
  });

  it('does not duplicate the alert or the webhook for repeated unhealthy reports', async () => {
    await report(cluster.credential, false);
    await report(cluster.credential, false);
    await new Promise((r) => setTimeout(r, 2500)); // covers an outbox poll and a full evaluation
    assert.equal((await alerts()).totalCount, 1);
    assert.equal(at('/a', 'alert.firing').length, 1);
  });

  it('acknowledges an alert, recording who', async () => {
    const id = (await alerts('FIRING')).edges[0].node.id;
    const r = await api.gql(
      `mutation($id: ID!) { acknowledgeAlert(id: $id) { acknowledgedBy } }`,
      { id },
      keyA,
    );
    assert.match(r.data!.acknowledgeAlert.acknowledgedBy, /^api-key:/);
  });

  it('resolves the alert on a healthy report and says so', async () => {
    await report(cluster.credential, true);
    await until(
      () => alerts('RESOLVED'),
      (a) => a.totalCount === 1,
    );
    assert.equal((await alerts('FIRING')).totalCount, 0);
    const [msg] = await until(
      () => at('/a', 'alert.resolved'),
      (m) => m.length === 1,
    );
    assert.equal((new Webhook(secretA).verify(msg!.body, msg!.headers) as any).data.alert.status, 'RESOLVED');
  });

  it('does not re-fire a flapping cluster within the cool-down', async () => {
    await report(cluster.credential, false);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await alerts('FIRING')).totalCount, 0);
    assert.equal(at('/a', 'alert.firing').length, 1);
  });

  it("never sends one organization's events to another's endpoint", () => {
    assert.equal(at('/b').length, 0);
  });

  it('signs with both secrets during a rotation overlap', async () => {
    const r = await api.gql(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id, overlapHours: 1) { secret endpoint { previousSecretExpiresAt } } }`,
      { id: endpointA },
      keyA,
    );
    const next = r.data!.rotateWebhookSecret.secret as string;
    assert.notEqual(next, secretA);
    await api.gql(`mutation($id: ID!) { testWebhook(endpointId: $id) { id } }`, { id: endpointA }, keyA);
    const [msg] = await until(
      () => at('/a', 'webhook.test'),
      (m) => m.length === 1,
    );
    assert.equal(msg!.headers['webhook-signature']!.split(' ').length, 2);
    new Webhook(next).verify(msg!.body, msg!.headers);
    new Webhook(secretA).verify(msg!.body, msg!.headers);
  });

  it('disables an endpoint that answers 410 Gone', async () => {
    receiver.status.set('/gone', 410);
    const { endpoint } = await createEndpoint(keyA, `${receiver.url}/gone`, ['cluster.offline']);
    await api.gql(`mutation($id: ID!) { testWebhook(endpointId: $id) { id } }`, { id: endpoint.id }, keyA);
    const ep = await until(
      async () =>
        (
          await api.gql(`{ webhookEndpoints { id enabled disabledReason } }`, {}, keyA)
        ).data!.webhookEndpoints.find((e: any) => e.id === endpoint.id),
      (e: any) => e.enabled === false,
    );
    assert.match(ep.disabledReason, /410/);
    const [d] = await deliveries(endpoint.id);
    assert.equal(d.status, 'FAILED');
    assert.equal(d.attemptCount, 1);
  });

  it('delivers to a receiver that was down once it comes back', async () => {
    const probe = await startReceiver();
    const port = (probe.server.address() as AddressInfo).port;
    await probe.close(); // nothing listens there now
    const { endpoint } = await createEndpoint(keyA, `http://127.0.0.1:${port}/late`, ['alert.firing']);
    await api.gql(`mutation($id: ID!) { testWebhook(endpointId: $id) { id } }`, { id: endpoint.id }, keyA);
    const failed = await until(
      () => deliveries(endpoint.id),
      (d) => d[0]?.attemptCount >= 2,
    );
    assert.equal(failed[0].status, 'PENDING');
    assert.equal(failed[0].attempts[0].statusCode, null);
    assert.ok(failed[0].attempts[0].error);
    const back = await startReceiver(port);
    try {
      const [d] = await until(
        () => deliveries(endpoint.id),
        (d) => d[0]?.status === 'SUCCEEDED',
      );
      assert.equal(d.lastStatusCode, 200);
      assert.equal(back.got.length, 1);
      assert.equal(back.got[0]!.headers['webhook-id'], d.id);
    } finally {
      await back.close();
    }
  });

  it('refuses private targets the allowlist does not name', async () => {
    for (const url of [
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest',
      'http://[::1]:8080/x',
      // IPv6 forms that deliver to IPv4 loopback or metadata, and site-local.
      'http://[::127.0.0.1]/x',
      'http://[64:ff9b::7f00:1]/x',
      'http://[64:ff9b::a9fe:a9fe]/latest',
      'http://[2002:7f00:1::]/x',
      'http://[fec0::1]/x',
    ]) {
      const r = await api.gql(
        `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing"] }) { secret } }`,
        { u: url },
        keyA,
      );
      assert.equal(errorCode(r), 'BAD_USER_INPUT', url);
    }
  });

  it('changes a rule and validates its params', async () => {
    const r = await api.gql(
      `mutation { updateAlertRule(kind: CERTIFICATE_EXPIRING, input: { params: { days: [14, 3] } }) { kind params customized } }`,
      {},
      keyA,
    );
    assert.deepEqual(r.data!.updateAlertRule.params.days, [14, 3]);
    const bad = await api.gql(
      `mutation { updateAlertRule(kind: MTLS_COVERAGE_BELOW, input: { params: { threshold: 5 } }) { kind } }`,
      {},
      keyA,
    );
    assert.equal(errorCode(bad), 'BAD_USER_INPUT');
    const rules = await api.gql(`{ alertRules { kind enabled } }`, {}, keyA);
    assert.equal(rules.data!.alertRules.length, 16);
    assert.equal(rules.data!.alertRules.find((x: any) => x.kind === 'MESH_DEGRADED').enabled, false);
  });
});

// The periodic pass only visits the clusters time can change; here it runs on a clock the test
// moves forward (the worker's own timer is set far off so it does not interfere).
describe('periodic alert pass', () => {
  const DAY = 86_400_000;
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  let api: TestApi;
  let worker: INestApplicationContext;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;
  let certs: { id: string; credential: string };
  let calm: { id: string; credential: string };
  let sequence = Date.now();

  const report = async (credential: string, o: { issuerDays: number; meshed?: number }) => {
    const r = exampleHealthReport() as any;
    r.sequence = ++sequence;
    r.generatedAt = new Date().toISOString();
    const anchor = { ...r.certificates[0], notAfter: new Date(Date.now() + 3650 * DAY).toISOString() };
    const issuer = {
      ...anchor,
      role: 'issuer',
      name: 'identity.linkerd.cluster.local',
      sha256Fingerprint: 'c'.repeat(64),
      notAfter: new Date(Date.now() + o.issuerDays * DAY).toISOString(),
    };
    r.certificates = [anchor, issuer];
    const meshed = o.meshed ?? 4;
    r.mtls = { ...r.mtls, meshedPods: meshed, totalPods: 4, podCoverage: meshed / 4 };
    assert.equal((await agentCall(api, 'POST', '/reports', credential, r)).status, 202);
  };
  const firing = (kind: string) =>
    receiver.got
      .map((m) => JSON.parse(m.body))
      .filter((b) => b.type === 'alert.firing' && b.data.alert.kind === kind);
  const alertsOf = async (kind: string) =>
    (
      await api.gql(
        `query($k: AlertKind) { alerts(filter: { kind: $k }) { totalCount edges { node { status severity clusterId } } } }`,
        { k: kind },
        key,
      )
    ).data!.alerts;
  const pass = (offsetMs: number) => worker.get(AlertsEvaluator).evaluateAll(new Date(Date.now() + offsetMs));

  before(async () => {
    const env = { MESHFLEET_ENCRYPTION_KEYS: keys, MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    api = await startApi(env);
    ({ apiKey: key } = await api.newOrg('alerts-time'));
    worker = await startWorkerFor(api, {
      ...env,
      MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
      MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '3600',
    });
    receiver = await startReceiver();
    const r = await api.gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing"] }) { secret } }`,
      { u: `${receiver.url}/t` },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    certs = await registerAndEnroll(api, key, { name: 'certs' });
    calm = await registerAndEnroll(api, key, { name: 'calm' });
    await report(certs.credential, { issuerDays: 10 });
    await report(calm.credential, { issuerDays: 300 });
  });
  after(async () => {
    await worker?.close();
    await receiver?.close();
    await api?.close();
  });

  it('re-notifies when a certificate crosses a tighter threshold, once per escalation', async () => {
    // The first report's health change evaluates at once: 10 days left is INFO (≤ 30).
    await until(
      () => firing('CERTIFICATE_EXPIRING'),
      (m) => m.length === 1,
    );
    assert.equal(firing('CERTIFICATE_EXPIRING')[0].data.alert.severity, 'INFO');
    assert.equal(firing('CERTIFICATE_EXPIRING')[0].data.alert.previousSeverity, null);

    // Four days on, 6 days are left: WARNING. Only the expiring cluster needs a look.
    assert.equal(await pass(4 * DAY), 1);
    const [, warning] = await until(
      () => firing('CERTIFICATE_EXPIRING'),
      (m) => m.length === 2,
    );
    assert.equal(warning.data.alert.severity, 'WARNING');
    assert.equal(warning.data.alert.previousSeverity, 'INFO');
    assert.equal(warning.data.alert.id, firing('CERTIFICATE_EXPIRING')[0].data.alert.id);

    // The same severity again: no new notification.
    await pass(4 * DAY + 3600_000);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(firing('CERTIFICATE_EXPIRING').length, 2);

    // Half a day left: CRITICAL.
    await pass(9.5 * DAY);
    const third = await until(
      () => firing('CERTIFICATE_EXPIRING'),
      (m) => m.length === 3,
    );
    assert.equal(third[2].data.alert.severity, 'CRITICAL');
    assert.equal(third[2].data.alert.previousSeverity, 'WARNING');
    const stored = await alertsOf('CERTIFICATE_EXPIRING');
    assert.equal(stored.totalCount, 1);
    assert.equal(stored.edges[0].node.severity, 'CRITICAL');
  });

  it('fires a pending `for` alert once its duration has passed, with no event in between', async () => {
    // Coverage drops while the status stays HEALTHY: no health_changed event, only the pass sees it.
    await report(calm.credential, { issuerDays: 300, meshed: 1 });
    await pass(0);
    assert.equal((await alertsOf('MTLS_COVERAGE_BELOW')).totalCount, 0); // `for` is 300 s
    await pass(301_000);
    const a = await alertsOf('MTLS_COVERAGE_BELOW');
    assert.equal(a.totalCount, 1);
    assert.equal(a.edges[0].node.clusterId, calm.id);
    await until(
      () => firing('MTLS_COVERAGE_BELOW'),
      (m) => m.length === 1,
    );
  });

  it('records a health change only when the status changes, not on every report', async () => {
    // Every event wakes the evaluator: a report that changes nothing must not record one.
    await report(calm.credential, { issuerDays: 300, meshed: 1 });
    const c = new pg.Client({ connectionString: api.db.url });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT "payload"->>'from' AS "from", "payload"->>'to' AS "to" FROM "DomainEvent"
         WHERE "clusterId" = $1 AND "type" = 'cluster.health_changed'`,
        [calm.id],
      );
      assert.deepEqual(rows, [{ from: null, to: 'HEALTHY' }]);
    } finally {
      await c.end();
    }
  });

  it('holds CONTROL_PLANE_UNHEALTHY while an operation changes the cluster; the first report after it decides', async () => {
    const busy = await registerAndEnroll(api, key, { name: 'busy' });
    const post = (healthy: boolean) => postControlPlaneReport(api, busy.credential, healthy);
    const unhealthyAlerts = async () =>
      (await alertsOf('CONTROL_PLANE_UNHEALTHY')).edges.filter((e: any) => e.node.clusterId === busy.id);
    await post(true);
    const op = await api.gql(
      `mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`,
      { c: busy.id },
      key,
    );
    assert.equal(op.errors, undefined, JSON.stringify(op.errors));
    const opId = op.data!.restartDataPlane.id;

    // Mid-change the control plane rolls: the unhealthy report (an event) and the pass stay quiet.
    await post(false);
    await new Promise((r) => setTimeout(r, 1500)); // several outbox polls
    await pass(0);
    assert.deepEqual(await unhealthyAlerts(), []);

    // The operation ends; the stored report still predates its end, so it is still held.
    const cancelled = await api.gql(
      `mutation($id: ID!) { cancelOperation(id: $id) { id } }`,
      { id: opId },
      key,
    );
    assert.equal(cancelled.errors, undefined, JSON.stringify(cancelled.errors));
    await until(
      async () =>
        (await api.gql(`query($id: ID!) { operation(id: $id) { status } }`, { id: opId }, key)).data!
          .operation.status,
      (s) => s === 'CANCELLED',
    );
    await pass(0);
    assert.deepEqual(await unhealthyAlerts(), []);

    // The first report after the change is still unhealthy (no status change, so no event): the
    // pass fires the alert.
    await post(false);
    await pass(0);
    const firingNow = await until(unhealthyAlerts, (a) => a.length === 1);
    assert.equal(firingNow[0].node.status, 'FIRING');
  });
});
