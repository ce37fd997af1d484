// Test helpers for playing agents over HTTP against the real API: the calls an agent makes,
// enrollment, health reports, and a fleet of played agents that take upgrade tasks.
import assert from 'node:assert/strict';
import { exampleEnrollRequest, exampleHealthReport, PROTOCOL_VERSION } from '@meshfleet/agent-protocol';
import { compareLinkerdVersions, parseLinkerdVersion } from '@meshfleet/linkerd';
import type { TestApi } from './harness';

export interface AgentResponse {
  status: number;
  body: any;
}

/** One `/agent/v1` call with the protocol header and, when given, the agent credential. */
export async function agentCall(
  api: TestApi,
  method: string,
  path: string,
  credential?: string,
  body?: unknown,
): Promise<AgentResponse> {
  const res = await fetch(`${api.url}/agent/v1${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export interface NewCluster {
  name: string;
  provider?: string;
  labels?: Record<string, string>;
  kubernetesVersion?: string;
}

/** Registers a cluster through GraphQL, as a user would, and enrolls an agent for it. */
export async function registerAndEnroll(
  api: TestApi,
  key: string,
  c: NewCluster,
): Promise<{ id: string; credential: string }> {
  const reg = await api.gql(
    `mutation($n: String!, $p: CloudProvider!, $l: JSONObject) { registerCluster(input: { name: $n, provider: $p, labels: $l }) { cluster { id } bootstrapToken { token } } }`,
    { n: c.name, p: c.provider ?? 'EKS', l: c.labels ?? null },
    key,
  );
  assert.equal(reg.errors, undefined, JSON.stringify(reg.errors));
  const example = exampleEnrollRequest();
  const enrolled = await agentCall(api, 'POST', '/enroll', undefined, {
    ...example,
    bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
    cluster: {
      ...example.cluster,
      ...(c.kubernetesVersion ? { kubernetesVersion: c.kubernetesVersion } : {}),
    },
  });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  return {
    id: reg.data!.registerCluster.cluster.id as string,
    credential: enrolled.body.credential as string,
  };
}

let lastSequence = 0;

/** A fresh, valid health report saying Linkerd `version` runs with matching proxies. */
export function linkerdReport(
  version: string | null,
  opts: { installed?: boolean; kubernetesVersion?: string; oldestProxy?: string | null } = {},
): any {
  const r = exampleHealthReport() as any;
  // Sequences only grow (the API ignores an older one), even for reports made within a millisecond.
  lastSequence = Math.max(Date.now(), lastSequence + 1);
  r.sequence = lastSequence;
  r.generatedAt = new Date().toISOString();
  r.kubernetesVersion = opts.kubernetesVersion ?? 'v1.33.2';
  const oldest = opts.oldestProxy === undefined ? version : opts.oldestProxy;
  r.linkerd = {
    ...r.linkerd,
    installed: opts.installed ?? version !== null,
    version,
    proxyVersions: version ? [{ version, count: 4 }] : [],
    skew: { ...r.linkerd.skew, controlPlane: version, oldestProxy: oldest, newestProxy: version },
  };
  return r;
}

/** Polls until `ok` holds, or fails with the last value. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 15_000,
  intervalMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface PlayedCluster {
  id: string;
  name: string;
  credential: string;
  version: string;
  /** When set, upgrades to another version fail with this error. */
  failWith: { code: string; message: string } | null;
  /** When set, downgrades (a rollback) fail even when allowed. */
  failDowngrades?: boolean;
  /** When set, a downgrade waits for this before it ends (a rollback in progress). */
  holdDowngrades?: Promise<void>;
  /** When set, the report after an upgrade shows only this many of its 4 pods meshed. */
  meshedAfterUpgrade?: number;
  upgradedAt?: number;
  /** Ids of the tasks this agent was handed, in order (a task handed twice shows twice). */
  tasks: string[];
}

/**
 * Agents played over HTTP: each long-polls, takes upgrade tasks, succeeds (or fails on purpose)
 * and reports its new version — the agent's contract without Kubernetes.
 */
export function playedFleet(api: TestApi, key: string) {
  const clusters: PlayedCluster[] = [];
  let running = true;
  const loops: Promise<void>[] = [];
  const at = () => new Date().toISOString();
  const loop = async (c: PlayedCluster) => {
    while (running) {
      const task = (await agentCall(api, 'GET', '/tasks/next?waitSeconds=1', c.credential).catch(() => null))
        ?.body?.task;
      if (!task) continue;
      c.tasks.push(task.id);
      await agentCall(api, 'POST', `/tasks/${task.id}/events`, c.credential, {
        taskId: task.id,
        step: 'precheck',
        status: 'succeeded',
        at: at(),
      });
      // As the real agent: an older release only when the task allows a downgrade.
      const order = compareLinkerdVersions(
        parseLinkerdVersion(task.params.release.version)!,
        parseLinkerdVersion(c.version)!,
      );
      const downgrade = order !== null && order < 0;
      const error =
        c.failWith && task.params.release.version !== c.version
          ? c.failWith
          : downgrade && !task.params.allowDowngrade
            ? { code: 'UPGRADE_PATH_REFUSED', message: 'downgrade not allowed' }
            : downgrade && c.failDowngrades
              ? { code: 'POSTCHECK_FAILED', message: 'rollback broke the control plane' }
              : null;
      if (downgrade && c.holdDowngrades) await c.holdDowngrades;
      if (error) {
        await agentCall(api, 'POST', `/tasks/${task.id}/result`, c.credential, {
          taskId: task.id,
          status: 'failed',
          finishedAt: at(),
          error,
        });
        continue;
      }
      c.version = task.params.release.version;
      c.upgradedAt = Date.now();
      await agentCall(api, 'POST', `/tasks/${task.id}/result`, c.credential, {
        taskId: task.id,
        status: 'succeeded',
        finishedAt: at(),
        output: {
          kind: 'LIFECYCLE',
          controlPlaneVersion: c.version,
          postcheck: { errors: 0, warnings: 0, summary: 'ok' },
        },
      });
      const report = linkerdReport(c.version);
      if (c.meshedAfterUpgrade !== undefined)
        report.mtls = {
          ...report.mtls,
          meshedPods: c.meshedAfterUpgrade,
          podCoverage: c.meshedAfterUpgrade / 4,
        };
      await agentCall(api, 'POST', '/reports', c.credential, report);
    }
  };
  return {
    clusters,
    byName: (name: string) => clusters.find((c) => c.name === name)!,
    async add(cluster: NewCluster & { version: string }): Promise<PlayedCluster> {
      const { id, credential } = await registerAndEnroll(api, key, {
        kubernetesVersion: 'v1.33.2',
        ...cluster,
      });
      const c: PlayedCluster = {
        id,
        name: cluster.name,
        credential,
        version: cluster.version,
        failWith: null,
        tasks: [],
      };
      clusters.push(c);
      assert.equal(
        (await agentCall(api, 'POST', '/reports', credential, linkerdReport(c.version))).status,
        202,
      );
      loops.push(loop(c));
      return c;
    },
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * One agent the test drives step by step: it takes a task when asked and holds it (an upgrade
 * in flight) until the test posts the step events and the result.
 */
export async function manualAgent(api: TestApi, key: string, cluster: NewCluster & { version: string }) {
  const { id, credential } = await registerAndEnroll(api, key, {
    kubernetesVersion: 'v1.33.2',
    ...cluster,
  });
  assert.equal(
    (await agentCall(api, 'POST', '/reports', credential, linkerdReport(cluster.version))).status,
    202,
  );
  const at = () => new Date().toISOString();
  const agent = {
    id,
    name: cluster.name,
    credential,
    version: cluster.version,
    /** Long-polls until a task arrives. */
    async takeTask(ms = 20_000): Promise<any> {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const task = (await agentCall(api, 'GET', '/tasks/next?waitSeconds=1', credential)).body?.task;
        if (task) return task;
      }
      throw new Error(`${cluster.name}: no task within ${ms} ms`);
    },
    async step(task: any, step: string, status: 'started' | 'succeeded'): Promise<void> {
      const r = await agentCall(api, 'POST', `/tasks/${task.id}/events`, credential, {
        taskId: task.id,
        step,
        status,
        at: at(),
      });
      assert.equal(r.status, 204, JSON.stringify(r.body));
    },
    /** Finishes an upgrade task and reports the new version, as the real agent does. */
    async succeed(task: any): Promise<void> {
      agent.version = task.params.release.version;
      const r = await agentCall(api, 'POST', `/tasks/${task.id}/result`, credential, {
        taskId: task.id,
        status: 'succeeded',
        finishedAt: at(),
        output: {
          kind: 'LIFECYCLE',
          controlPlaneVersion: agent.version,
          postcheck: { errors: 0, warnings: 0, summary: 'ok' },
        },
      });
      assert.equal(r.status, 204, JSON.stringify(r.body));
      await agentCall(api, 'POST', '/reports', credential, linkerdReport(agent.version));
    },
  };
  return agent;
}
