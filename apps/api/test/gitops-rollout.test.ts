// A cluster handed to a GitOps tool while a rollout runs: its wave leaves it SKIPPED with the
// reason (not FAILED against the budget), and the rest of the rollout goes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INestApplicationContext } from '@nestjs/common';
import { startApi, startWorkerFor, TestApi } from './harness';
import { eventually, playedFleet } from './agent-http';

describe('rollouts and GITOPS clusters', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let fleet: ReturnType<typeof playedFleet>;

  before(async () => {
    api = await startApi({
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '2',
    });
    ({ apiKey: key } = await api.newOrg('gitops-rollout'));
    worker = await startWorkerFor(api);
    fleet = playedFleet(api, key);
    for (const name of ['g-a', 'g-b', 'g-c'])
      await fleet.add({ name, version: 'enterprise-2.19.1', labels: { ring: 'gitops' } });
  });
  after(async () => {
    await fleet.stop();
    await worker?.close();
    await api.close();
  });

  it('skips a cluster switched to GITOPS after planning and finishes the others', async () => {
    const rollout = async (id: string) =>
      (
        await api.gql(
          `query($id: ID!) { rollout(id: $id) { status currentWave targets { clusterName status reason } } }`,
          { id },
          key,
        )
      ).data!.rollout;
    const start = await api.gql(
      `mutation { startRollout(input: { targetVersion: "enterprise-2.20.0", selector: { labelSelector: "ring=gitops" },
        strategy: { canaryCount: 1, healthGateSeconds: 1, requireApproval: true } }) { id } }`,
      {},
      key,
    );
    assert.equal(start.errors, undefined, JSON.stringify(start.errors));
    const id = start.data!.startRollout.id as string;
    await eventually(
      () => rollout(id),
      (r) => r.status === 'PAUSED' && r.currentWave === 1,
      30_000,
    );
    const gb = (await api.gql(`{ clusters(filter: { search: "g-b" }) { edges { node { id } } } }`, {}, key))
      .data!.clusters.edges[0].node.id;
    const set = await api.gql(
      `mutation($c: ID!) { setClusterManagementMode(clusterId: $c, mode: GITOPS, tool: FLUX) { managementMode } }`,
      { c: gb },
      key,
    );
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));
    const approved = await api.gql(
      `mutation($id: ID!) { approveWave(id: $id, wave: 1) { status } }`,
      { id },
      key,
    );
    assert.equal(approved.errors, undefined, JSON.stringify(approved.errors));
    const done = await eventually(
      () => rollout(id),
      (r) =>
        ['SUCCEEDED', 'FAILED', 'PAUSED'].includes(r.status) &&
        r.targets.every((t: any) => !['WAITING', 'UPGRADING', 'GATING'].includes(t.status)),
      60_000,
    );
    const by = Object.fromEntries(done.targets.map((t: any) => [t.clusterName, t]));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(by['g-a'].status, 'DONE');
    assert.equal(by['g-c'].status, 'DONE');
    assert.equal(by['g-b'].status, 'SKIPPED');
    assert.match(by['g-b'].reason, /managed by Flux \(GITOPS mode\)/);
  });
});
