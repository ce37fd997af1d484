// Every ```graphql example of the README, run as written against the demo fleet (the scenario and
// fleet-sim flags of `npm run demo`, before the demo's own installs): in README order, with an
// admin key, each "<placeholder>" filled from an earlier answer. Any GraphQL error fails, unless
// the block is preceded by `<!-- example: expect-error CODE -->` and fails with that code.
// Between examples the test only waits, as a reader would, for what the next one needs (an
// operation to finish, a rollout to wait for approval, an alert to fire after a fault).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import type { Client } from 'graphql-ws';
import {
  createTestDatabase,
  gql,
  processEnv,
  REPO_ROOT,
  startApiProcess,
  startFleetSimProcess,
  startWorkerProcess,
  type ApiProcess,
  type ChildHandle,
  type FleetSimProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { simulatedCluster } from './support/simulator';
import { wsClient } from './support/subscriptions';
import { eventually } from './support/wait';

interface Example {
  /** The operation as printed back from the README's text (one per operation in a block). */
  text: string;
  op: OperationDefinitionNode;
  rootField: string;
  line: number;
  expectError: string | null;
}

/** The README's ```graphql blocks, split into their operations, in order. */
export function readmeExamples(markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```graphql') continue;
    const marker = /<!--\s*example:\s*expect-error\s+([A-Z_]+)\s*-->/.exec(lines[i - 1] ?? '');
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    const body = lines.slice(start, end).join('\n');
    const doc = parse(body); // a syntax error in the README fails here, naming the line
    for (const def of doc.definitions) {
      assert.equal(def.kind, Kind.OPERATION_DEFINITION, `README line ${start}: only operations are examples`);
      const op = def as OperationDefinitionNode;
      const first = op.selectionSet.selections[0];
      assert.ok(first && first.kind === Kind.FIELD);
      out.push({
        text: print(op),
        op,
        rootField: first.name.value,
        line: start + (op.loc?.startToken.line ?? 1) - 1,
        expectError: marker?.[1] ?? null,
      });
    }
    i = end;
  }
  return out;
}

describe('the README GraphQL examples run as written against the demo fleet', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle;
  let fleet: FleetSimProcess;
  let ws: Client;
  let work: string;
  let adminKey: string;
  const ids: Record<string, string> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mf-readme-'));
    db = await createTestDatabase();
    const shared = processEnv({
      db,
      heartbeatSeconds: 1,
      reportSeconds: 2,
      extra: {
        MESHFLEET_SIMULATED_CATALOG: 'true',
        MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
        MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
        MESHFLEET_ALERT_POLL_INTERVAL_MS: '200',
        MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '1',
      },
    });
    adminKey = shared.adminKey;
    api = await startApiProcess(shared.env);
    worker = startWorkerProcess({ ...shared.env, MESHFLEET_PUBLIC_URL: api.url });
    // As scripts/demo.mjs starts it: register through GraphQL, add the Gateway API CRDs.
    fleet = await startFleetSimProcess(
      [
        '--register',
        '--gateway-api-crds',
        '--scenario',
        join(REPO_ROOT, 'libs/kube-sim/scenarios/demo.yaml'),
        '--state-dir',
        join(work, 'agents'),
        '--kubeconfig-dir',
        join(work, 'kubeconfig'),
        '--pod-ready-delay-ms',
        '10',
        '--report-debounce-ms',
        '200',
        '--report-min-spacing-ms',
        '500',
      ],
      {
        MESHFLEET_API_URL: api.url,
        MESHFLEET_ADMIN_KEY: adminKey,
        LOG_LEVEL: 'warn',
      },
    );
    for (const c of fleet.clusters) ids[c.name] = c.clusterId;
    ws = wsClient(api.url, adminKey);
  });

  after(async () => {
    await ws?.dispose();
    await fleet?.stop();
    await worker?.stop();
    await api?.stop();
    await db?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const q = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> => {
    const r = await gql<Record<string, any>>(api.url, query, variables, adminKey);
    assert.equal(r.errors, undefined, `${query.slice(0, 80)}: ${JSON.stringify(r.errors)}`);
    return r.data!;
  };
  const operationDone = (id: string) =>
    eventually(
      async () => (await q(`query($id: ID!) { operation(id: $id) { status error } }`, { id })).operation,
      (o) => ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(o.status),
      90_000,
      `operation ${id} to finish`,
    );

  it(
    'every example answers without a GraphQL error (placeholders filled from earlier answers)',
    { timeout: 420_000 },
    async (t) => {
      const examples = readmeExamples(await readFile(join(REPO_ROOT, 'README.md'), 'utf8'));
      assert.ok(examples.length >= 30, `found only ${examples.length} examples`);

      // Ready when every agent has reported once (what the demo waits for before it prints the key).
      await eventually(
        async () =>
          (await q(`{ clusters { edges { node { name linkerd { installed } } } } }`)).clusters.edges,
        (edges: any[]) => edges.length === 4 && edges.every((e) => e.node.linkerd !== null),
        60_000,
        'a first report from every agent',
      );

      const values: Record<string, string> = {
        '<cluster id>': ids['eks-prod-us-east-1']!,
        '<id of a cluster without Linkerd>': ids['gke-staging-europe-west1']!,
      };
      const operations: string[] = [];

      /** What a reader waits for before running the example. */
      const prepare = async (ex: Example): Promise<void> => {
        if (ex.rootField === 'upgradeLinkerd' || ex.rootField === 'planRollout') {
          for (const id of operations.splice(0)) {
            const done = await operationDone(id);
            assert.equal(done.status, 'SUCCEEDED', `operation ${id}: ${JSON.stringify(done.error)}`);
          }
          // The API checks an upgrade against the latest report: wait for the one after the install.
          if (ex.rootField === 'upgradeLinkerd')
            await eventually(
              async () =>
                (
                  await q(`query($id: ID!) { cluster(id: $id) { linkerd { installed } } }`, {
                    id: values['<id of a cluster without Linkerd>'],
                  })
                ).cluster,
              (c) => c.linkerd?.installed === true,
              60_000,
              'a report showing the installed Linkerd',
            );
        }
        if (ex.rootField === 'approveWave') {
          await eventually(
            async () =>
              (
                await q(`query($id: ID!) { rollout(id: $id) { status currentWave pausedReason } }`, {
                  id: values['<rollout id>'],
                })
              ).rollout,
            (r) => r.status === 'PAUSED' && r.currentWave === 1,
            90_000,
            'the rollout to wait for the approval of wave 1',
          );
        }
        if (ex.rootField === 'alerts' && !values['<alert id>']) {
          // Break a cluster on purpose, as the README's demo section shows, so there is an alert.
          const aks = await simulatedCluster(
            fleet.simulator,
            join(work, 'kubeconfig'),
            'aks-prod-westeurope',
          );
          assert.equal((await aks.injectFault({ kind: 'expireIssuer' })).status, 200);
          // Wait for the alert this fault raises: another one firing now (a paused rollout's, say)
          // may resolve before the README's query runs.
          await eventually(
            async () =>
              (await q(`{ alerts(filter: { status: FIRING, kind: CERTIFICATE_EXPIRED }) { totalCount } }`))
                .alerts.totalCount,
            (n: number) => n > 0,
            60_000,
            'the CERTIFICATE_EXPIRED alert of the expired issuer',
          );
        }
      };

      /** What later examples take from this one's answer. */
      const capture = (ex: Example, data: Record<string, any>): void => {
        const d = data[ex.rootField];
        switch (ex.rootField) {
          case 'registerCluster':
            values['<new cluster id>'] = d.cluster.id;
            break;
          case 'createApiKey':
            values['<api key id>'] = d.apiKey.id;
            break;
          case 'cluster':
            if (d.workloads) {
              const web = d.workloads.find((w: any) => w.name === 'web' && w.meshed);
              assert.ok(web?.pods?.length, `no meshed web pod listed: ${JSON.stringify(d.workloads)}`);
              values['<pod name>'] = web.pods[0].name;
            }
            break;
          case 'collectProxyMetrics':
            values['<task id>'] = d.id;
            break;
          case 'createIdentityDomain':
            assert.equal(d.canSignIssuers, true);
            values['<identity domain id>'] = d.id;
            break;
          case 'installLinkerd':
          case 'upgradeLinkerd':
            operations.push(d.id);
            values['<operation id>'] = d.id;
            break;
          case 'node':
            assert.ok(d, `README line ${ex.line}: node(id) found nothing`);
            break;
          case 'startRollout':
            assert.ok(
              d.targets.length >= 2,
              `the rollout should plan a canary and a wave: ${JSON.stringify(d)}`,
            );
            values['<rollout id>'] = d.id;
            break;
          case 'alerts':
            if (ex.op.operation === 'query' && d.edges?.length) values['<alert id>'] = d.edges[0].node.id;
            break;
          case 'createWebhookEndpoint':
            values['<endpoint id>'] = d.endpoint.id;
            break;
          case 'testWebhook':
            values['<delivery id>'] = d.id;
            break;
        }
      };

      const fill = (ex: Example): string =>
        ex.text.replace(/"(<[^">]+>)"/g, (_, name: string) => {
          const v = values[name];
          assert.ok(
            v,
            `README line ${ex.line}: no value for placeholder ${name} yet (${ex.text.slice(0, 80)})`,
          );
          return JSON.stringify(v);
        });

      const ran: string[] = [];
      const began = Date.now();
      for (const ex of examples) {
        const waitStart = Date.now();
        await prepare(ex);
        const waited = Date.now() - waitStart;
        if (waited > 2000)
          t.diagnostic(`waited ${waited} ms before ${ex.rootField} (README line ${ex.line})`);
        const text = fill(ex);
        if (ex.op.operation === 'subscription') {
          // Over graphql-ws: an error (validation, authorization) arrives at once; none is a pass.
          const error = await new Promise<string | null>((resolve) => {
            const stop = ws.subscribe(
              { query: text },
              {
                next: (m) => (m.errors?.length ? resolve(JSON.stringify(m.errors)) : undefined),
                error: (e) => resolve(JSON.stringify(e)),
                complete: () => resolve(null),
              },
            );
            setTimeout(() => {
              stop();
              resolve(null);
            }, 1000);
          });
          assert.equal(error, null, `README line ${ex.line}: ${ex.text}`);
          ran.push(ex.rootField);
          continue;
        }
        const r = await gql<Record<string, any>>(api.url, text, {}, adminKey);
        if (ex.expectError) {
          assert.equal(r.errors?.[0]?.extensions?.['code'], ex.expectError, `README line ${ex.line}`);
        } else {
          assert.equal(
            r.errors,
            undefined,
            `README line ${ex.line}: ${text}\n→ ${JSON.stringify(r.errors, null, 1)}`,
          );
          capture(ex, r.data!);
        }
        ran.push(ex.rootField);
      }
      t.diagnostic(`${ran.length} examples in ${Date.now() - began} ms`);
      // The three that used to fail as written, among the rest.
      for (const f of ['addMember', 'startRollout', 'collectProxyMetrics', 'approveWave', 'silenceAlert'])
        assert.ok(ran.includes(f), `${f} was not among the examples run`);
      // The pod name the README took from `workloads` was a real one: the agent ran the task.
      const task = await eventually(
        async () =>
          (await q(`query($id: ID!) { agentTask(id: $id) { status error } }`, { id: values['<task id>'] }))
            .agentTask,
        (t) => ['SUCCEEDED', 'FAILED'].includes(t.status),
        30_000,
        'the proxy metrics task to finish',
      );
      assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task.error));
    },
  );
});
