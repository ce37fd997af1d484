import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_KINDS } from '@meshfleet/agent-protocol';
import { OperationKind } from '@meshfleet/db';
import { envelopeIssues } from './operation-attempts.service';
import { isLifecycle, KindInput, LIFECYCLE_KINDS, OPERATION_KINDS, OperationParams } from './operation-kinds';

const DIGEST = 'a'.repeat(64);
const ANCHORS = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** The params a request of each kind stores, as the operations service writes them. */
const REQUESTED: Record<OperationKind, OperationParams> = {
  INSTALL: {
    release: { version: 'edge-26.8.3', variant: 'ha', crdsDigest: DIGEST, controlPlaneDigest: DIGEST },
    identity: { mode: 'MANAGED', trustDomain: 'cluster.local', identityDomainId: 'dom-1' },
  },
  UPGRADE: {
    release: { version: 'edge-26.9.1', variant: 'default', crdsDigest: DIGEST, controlPlaneDigest: DIGEST },
    identity: { mode: 'EXTERNAL', trustDomain: 'cluster.local', identityDomainId: null },
    restartDataPlane: true,
    fromVersion: 'edge-26.8.3',
    extensions: [{ extension: 'viz', release: { version: 'edge-26.9.1', digest: DIGEST } }],
  },
  UNINSTALL: { force: true },
  ROTATE_ISSUER: { identity: { mode: 'MANAGED', trustDomain: 'prod.example', identityDomainId: 'dom-2' } },
  RESTART_DATA_PLANE: { namespaces: ['shop', 'payments'] },
  MESH_NAMESPACES: {
    namespaces: ['legacy'],
    workloads: [{ namespace: 'legacy', kind: 'Deployment', name: 'billing' }],
    batchSize: 2,
    rollbackOnFailure: false,
  },
  UNMESH_NAMESPACES: { namespaces: ['legacy'] },
  RECONCILE_DRIFT: {},
  INSTALL_EXTENSION: {
    extension: 'viz',
    extensionRelease: { version: 'edge-26.8.3', digest: 'a'.repeat(64) },
  },
  UPGRADE_EXTENSION: {
    extension: 'viz',
    extensionRelease: { version: 'edge-26.8.3', digest: 'b'.repeat(64) },
  },
  UNINSTALL_EXTENSION: { extension: 'multicluster' },
  COLLECT_PROXY_METRICS: { namespace: 'shop', pod: 'web-7d9f-abcde' },
};

function envelope(kind: OperationKind, input: KindInput) {
  const spec = OPERATION_KINDS[kind];
  return {
    id: `task-${kind}`,
    issuedAt: '2026-12-02T10:00:00.000Z',
    attempt: 1,
    kind: spec.task,
    params: spec.taskParams(input),
  };
}

describe('operation kinds', () => {
  it('map one to one onto the task kinds of the agent protocol', () => {
    const tasks = Object.values(OPERATION_KINDS).map((s) => s.task);
    assert.equal(new Set(tasks).size, tasks.length, 'no two kinds share a task');
    assert.deepEqual([...tasks].sort(), [...TASK_KINDS].sort());
    assert.deepEqual(Object.keys(OPERATION_KINDS).sort(), Object.values(OperationKind).sort());
  });

  it('build for every kind an envelope the agent accepts', () => {
    for (const kind of Object.values(OperationKind)) {
      const input = { id: `op-${kind}`, params: REQUESTED[kind], trustAnchorsPem: ANCHORS };
      const env = envelope(kind, input);
      assert.equal(envelopeIssues(env), null, `${kind}: ${envelopeIssues(env)}`);
      if (isLifecycle(kind)) {
        assert.equal(env.params['operationId'], input.id, `${kind} names its operation`);
        assert.equal(env.params['controlPlaneNamespace'], 'linkerd');
      }
    }
  });

  it('carry what each task needs and nothing from another kind', () => {
    const input = (kind: OperationKind): KindInput => ({ id: 'op-1', params: REQUESTED[kind] });
    const upgrade = OPERATION_KINDS.UPGRADE.taskParams(input('UPGRADE'));
    assert.equal(upgrade['restartDataPlane'], true);
    assert.equal(upgrade['allowDowngrade'], false, 'a downgrade is only allowed when asked');
    assert.equal('fromVersion' in upgrade, false, 'bookkeeping stays in the operation');
    assert.deepEqual(
      OPERATION_KINDS.RESTART_DATA_PLANE.taskParams(input('RESTART_DATA_PLANE'))['namespaces'],
      ['shop', 'payments'],
    );
    assert.deepEqual(
      OPERATION_KINDS.RESTART_DATA_PLANE.taskParams({ id: 'op-2', params: {} })['namespaces'],
      [],
    );
    assert.equal(OPERATION_KINDS.UNINSTALL.taskParams({ id: 'op-3', params: {} })['force'], false);
    assert.deepEqual(OPERATION_KINDS.COLLECT_PROXY_METRICS.taskParams(input('COLLECT_PROXY_METRICS')), {
      namespace: 'shop',
      pod: 'web-7d9f-abcde',
    });
  });

  it('send the trust bundle only with the identity it belongs to', () => {
    const withBundle = OPERATION_KINDS.INSTALL.taskParams({
      id: 'op-1',
      params: REQUESTED.INSTALL,
      trustAnchorsPem: ANCHORS,
    });
    assert.deepEqual(withBundle['identity'], {
      mode: 'MANAGED',
      trustDomain: 'cluster.local',
      trustAnchorsPem: ANCHORS,
    });
    const external = OPERATION_KINDS.UPGRADE.taskParams({ id: 'op-1', params: REQUESTED.UPGRADE });
    assert.deepEqual(external['identity'], { mode: 'EXTERNAL', trustDomain: 'cluster.local' });
    // The identity domain's id is the API's own: it never reaches the agent.
    assert.equal(JSON.stringify(withBundle).includes('dom-1'), false);
    const uninstall = OPERATION_KINDS.UNINSTALL.taskParams({
      id: 'op-1',
      params: {},
      trustAnchorsPem: ANCHORS,
    });
    assert.equal('identity' in uninstall, false);
  });

  it('an install without a release is refused before it reaches the agent', () => {
    const env = envelope('INSTALL', { id: 'op-1', params: { identity: REQUESTED.INSTALL.identity } });
    assert.match(envelopeIssues(env) ?? '', /params\.release/);
  });

  it('say which identity domain the cluster is in afterwards', () => {
    assert.equal(OPERATION_KINDS.INSTALL.identityAfter?.(REQUESTED.INSTALL), 'dom-1');
    assert.equal(OPERATION_KINDS.INSTALL.identityAfter?.({}), undefined, 'no identity: left as it is');
    assert.equal(OPERATION_KINDS.UNINSTALL.identityAfter?.({}), null, 'an uninstall leaves the domain');
    assert.equal(OPERATION_KINDS.UPGRADE.identityAfter, undefined);
  });

  it('list only lifecycle kinds in the operations API; diagnostics sign nothing', () => {
    assert.deepEqual(LIFECYCLE_KINDS, [
      'INSTALL',
      'UPGRADE',
      'UNINSTALL',
      'ROTATE_ISSUER',
      'RESTART_DATA_PLANE',
      'MESH_NAMESPACES',
      'UNMESH_NAMESPACES',
      'RECONCILE_DRIFT',
      'INSTALL_EXTENSION',
      'UPGRADE_EXTENSION',
      'UNINSTALL_EXTENSION',
    ]);
    assert.equal(isLifecycle('COLLECT_PROXY_METRICS'), false);
    const signers = Object.entries(OPERATION_KINDS)
      .filter(([, s]) => s.signsIssuer)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(signers, ['INSTALL', 'ROTATE_ISSUER', 'UPGRADE']);
  });
});
