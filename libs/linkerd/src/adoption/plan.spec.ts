import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdoptionFactsSchema,
  type AdoptionFacts,
  type AdoptionFactsInput,
  type AdoptionWorkloadInput,
} from '@meshfleet/agent-protocol';
import { defaultBatchSize, nativeSidecarInUse, planMeshAdoption, portListIncludes } from './plan';

function w(name: string, over: Partial<AdoptionWorkloadInput> = {}): AdoptionWorkloadInput {
  return { kind: 'Deployment', name, replicas: 2, readyReplicas: 2, inject: null, totalPods: 2, ...over };
}

function facts(workloads: AdoptionWorkloadInput[], over: Partial<AdoptionFactsInput> = {}): AdoptionFacts {
  return AdoptionFactsSchema.parse({
    injector: { failurePolicy: 'Ignore', available: true },
    nativeSidecar: true,
    defaultOpaquePorts: '25,587,3306,4444,5432,6379,9300,11211',
    linkerdNamespaces: ['linkerd', 'linkerd-viz'],
    namespaces: [{ name: 'shop', inject: null, workloads }],
    ...over,
  });
}

const plan = (f: AdoptionFacts, batchSize?: number, linkerdVersion: string | null = '2.20.0') =>
  planMeshAdoption(f, { namespaces: ['shop'], batchSize }, { linkerdVersion });
const one = (f: AdoptionFacts, version?: string | null) => plan(f, undefined, version).workloads[0]!;
const codes = (x: { reasons: Array<{ code: string }> }) => x.reasons.map((r) => r.code);

describe('planMeshAdoption', () => {
  it('meshes a plain multi-replica Deployment without reasons', () => {
    const r = one(facts([w('web')]));
    assert.equal(r.verdict, 'WILL_MESH');
    assert.deepEqual(r.reasons, []);
    assert.equal(r.batch, 1);
  });

  it('says ALREADY_MESHED when every running pod has a proxy', () => {
    const r = one(facts([w('web', { meshedPods: 2 })]));
    assert.equal(r.verdict, 'ALREADY_MESHED');
    assert.equal(r.batch, null);
  });

  it('respects a workload opt-out over the namespace', () => {
    const r = one(facts([w('web', { inject: 'disabled' })]));
    assert.equal(r.verdict, 'OPTED_OUT');
    assert.deepEqual(codes(r), ['OPTED_OUT']);
  });

  it('will not mesh hostNetwork pods', () => {
    const r = one(facts([w('agent', { kind: 'DaemonSet', replicas: null, hostNetwork: true })]));
    assert.equal(r.verdict, 'WILL_NOT_MESH');
    assert.deepEqual(codes(r), ['HOST_NETWORK']);
  });

  it('will not mesh a pod without a token only when the control plane projects none', () => {
    const noToken = w('job', { automountToken: false });
    assert.equal(one(facts([noToken], { tokenProjection: false })).verdict, 'WILL_NOT_MESH');
    assert.deepEqual(codes(one(facts([noToken], { tokenProjection: false }))), ['AUTOMOUNT_TOKEN_DISABLED']);
    assert.equal(one(facts([noToken], { tokenProjection: true })).verdict, 'WILL_MESH');
  });

  it('flags a PostgreSQL port as already opaque by default and proposes nothing', () => {
    const r = one(facts([w('postgres', { replicas: 1, ports: [{ port: 5432 }] })]));
    const pg = r.reasons.find((x) => x.code === 'SERVER_SPEAKS_FIRST_PORT')!;
    assert.equal(pg.severity, 'INFO');
    assert.equal(pg.port, 5432);
    assert.equal(pg.protocol, 'PostgreSQL');
    assert.deepEqual(r.proposedAnnotations, []);
  });

  it('proposes the opaque-ports annotation when the cluster default leaves the port out', () => {
    const f = facts([w('postgres', { ports: [{ port: 5432 }, { port: 8080 }] })], {
      defaultOpaquePorts: '25,3306',
    });
    const r = one(f);
    const pg = r.reasons.find((x) => x.code === 'SERVER_SPEAKS_FIRST_PORT')!;
    assert.equal(pg.severity, 'WARNING');
    assert.deepEqual(r.proposedAnnotations, [{ key: 'config.linkerd.io/opaque-ports', value: '5432' }]);
  });

  it('keeps existing opaque ports in the proposal and honours skip-inbound-ports', () => {
    const f = facts(
      [
        w('nats', { ports: [{ port: 4222 }], opaquePorts: '9000' }),
        w('ssh', { ports: [{ port: 22 }], skipInboundPorts: '22' }),
      ],
      { defaultOpaquePorts: null },
    );
    const [nats, ssh] = plan(f).workloads;
    assert.deepEqual(nats!.proposedAnnotations, [
      { key: 'config.linkerd.io/opaque-ports', value: '9000,4222' },
    ]);
    assert.deepEqual(ssh!.proposedAnnotations, []);
    assert.equal(ssh!.reasons[0]!.severity, 'INFO');
  });

  it('uses the chart default opaque ports when linkerd-config does not list them, and says so', () => {
    const r = one(facts([w('redis', { ports: [{ port: 6379 }] })], { defaultOpaquePorts: null }));
    assert.match(r.reasons[0]!.message, /chart default/);
    assert.deepEqual(r.proposedAnnotations, []);
  });

  it('warns about UDP ports', () => {
    const r = one(facts([w('dns', { ports: [{ port: 53, protocol: 'UDP' }] })]));
    assert.deepEqual(codes(r), ['UDP_PORT']);
    assert.equal(r.verdict, 'WILL_MESH');
  });

  it('warns about Jobs without native sidecars, and does not restart Jobs either way', () => {
    const job = w('migrate', { kind: 'Job', replicas: null });
    const before = one(facts([job], { nativeSidecar: null }), '2.19.3');
    assert.deepEqual(codes(before), ['JOB_WITHOUT_NATIVE_SIDECAR']);
    assert.equal(before.reasons[0]!.severity, 'WARNING');
    const after = one(facts([{ ...job, kind: 'CronJob' }], { nativeSidecar: null }), '2.20.0');
    assert.deepEqual(codes(after), ['JOB_NOT_RESTARTED']);
    assert.equal(after.batch, null);
    // An explicit setting in linkerd-config wins over the version.
    assert.deepEqual(codes(one(facts([job], { nativeSidecar: false }), '2.20.0')), [
      'JOB_WITHOUT_NATIVE_SIDECAR',
    ]);
  });

  it('warns that a single replica without a PDB is downtime, not with a PDB', () => {
    assert.deepEqual(codes(one(facts([w('db', { replicas: 1 })]))), ['SINGLE_REPLICA_NO_PDB']);
    assert.deepEqual(
      codes(one(facts([w('db', { replicas: 1, pdb: { name: 'db', disruptionsAllowed: 1 } })]))),
      [],
    );
    assert.deepEqual(codes(one(facts([w('db', { pdb: { name: 'db', disruptionsAllowed: 0 } })]))), [
      'PDB_ALLOWS_NO_DISRUPTION',
    ]);
  });

  it('does not batch a workload scaled to zero', () => {
    const r = one(facts([w('idle', { replicas: 0, totalPods: 0 })]));
    assert.deepEqual(codes(r), ['SCALED_TO_ZERO']);
    assert.equal(r.batch, null);
  });

  it('blocks everything when the injector is down and fails open', () => {
    const p = plan(facts([w('web')], { injector: { failurePolicy: 'Ignore', available: false } }));
    assert.deepEqual(codes({ reasons: p.clusterReasons }), ['INJECTOR_FAIL_OPEN_UNHEALTHY']);
    assert.equal(p.workloads[0]!.verdict, 'BLOCKED');
    const closed = plan(facts([w('web')], { injector: { failurePolicy: 'Fail', available: false } }));
    assert.deepEqual(codes({ reasons: closed.clusterReasons }), ['INJECTOR_UNAVAILABLE']);
    const missing = plan(facts([w('web')], { injector: { failurePolicy: null, available: false } }));
    assert.deepEqual(codes({ reasons: missing.clusterReasons }), ['INJECTOR_MISSING']);
    assert.deepEqual(plan(facts([w('web')])).clusterReasons, []);
  });

  it('warns when the agent could not list some kinds', () => {
    const p = plan(facts([w('web')], { unreadKinds: ['PodDisruptionBudget'] }));
    assert.deepEqual(codes({ reasons: p.clusterReasons }), ['FACTS_INCOMPLETE']);
    assert.match(p.clusterReasons[0]!.message, /no PDB/);
    assert.equal(p.workloads[0]!.verdict, 'WILL_MESH');
  });

  it('orders safe restarts first and gives each single-replica workload a batch of its own', () => {
    const f = facts([
      w('a-single', { replicas: 1 }),
      w('b-web'),
      w('c-udp', { ports: [{ port: 53, protocol: 'UDP' }] }),
      w('d-api'),
      w('e-single', { replicas: 1 }),
      w('f-worker'),
    ]);
    const p = plan(f, 2);
    assert.deepEqual(
      p.batches.map((b) => b.workloads.map((x) => x.name)),
      [['b-web', 'd-api'], ['f-worker', 'c-udp'], ['a-single'], ['e-single']],
    );
    assert.equal(p.batchSize, 2);
    assert.equal(p.workloads.find((x) => x.name === 'e-single')!.batch, 4);
  });

  it('defaults the batch size to a small function of the count and refuses a bad one', () => {
    assert.deepEqual([1, 3, 4, 9, 16, 100].map(defaultBatchSize), [1, 1, 2, 3, 4, 5]);
    assert.equal(plan(facts([w('a'), w('b'), w('c'), w('d')])).batchSize, 2);
    assert.throws(() => plan(facts([w('a')]), 0), RangeError);
    assert.throws(() => plan(facts([w('a')]), 51), RangeError);
  });

  it('selects single workloads across namespaces', () => {
    const f = facts([w('a'), w('b')]);
    const p = planMeshAdoption(
      f,
      { workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'b' }] },
      {
        linkerdVersion: null,
      },
    );
    assert.deepEqual(
      p.workloads.map((x) => x.name),
      ['b'],
    );
  });
});

describe('portListIncludes / nativeSidecarInUse', () => {
  it('reads ports and ranges', () => {
    assert.equal(portListIncludes('25, 5432,8000-8010', 8005), true);
    assert.equal(portListIncludes('25,5432', 5433), false);
    assert.equal(portListIncludes(null, 25), false);
  });

  it('knows 2.20 and its edge releases use native sidecars', () => {
    const unknown = { nativeSidecar: null };
    assert.equal(nativeSidecarInUse(unknown, 'enterprise-2.20.0'), true);
    assert.equal(nativeSidecarInUse(unknown, 'stable-2.19.4'), false);
    assert.equal(nativeSidecarInUse(unknown, 'edge-26.6.3'), true);
    assert.equal(nativeSidecarInUse(unknown, 'edge-26.5.1'), false);
    assert.equal(nativeSidecarInUse(unknown, null), false);
  });
});
