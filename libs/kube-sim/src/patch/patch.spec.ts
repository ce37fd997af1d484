import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeError } from '../api/kube-error';
import { KubeObject } from '../store/types';
import { applyJsonPatch } from './json-patch';
import { applyMergePatch } from './merge-patch';
import { serverSideApply, recordUpdate } from './server-side-apply';
import { applyStrategicMergePatch } from './strategic-merge';
import { fromFieldsV1, leaves, toFieldsV1 } from './field-paths';

const pod = (containers: unknown[]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers },
});

describe('json patch', () => {
  it('adds, replaces, removes and tests', () => {
    const out = applyJsonPatch({ a: [1, 2], b: { c: 1 } }, [
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'replace', path: '/b/c', value: 2 },
      { op: 'remove', path: '/a/0' },
      { op: 'test', path: '/b/c', value: 2 },
    ]);
    assert.deepEqual(out, { a: [2, 3], b: { c: 2 } });
  });
  it('fails a test op with Invalid', () => {
    assert.throws(
      () => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
      (e: unknown) => e instanceof KubeError && e.reason === 'Invalid',
    );
  });
});

describe('merge patch', () => {
  it('deletes with null and replaces lists', () => {
    assert.deepEqual(applyMergePatch({ a: 1, l: [1, 2], m: { x: 1 } }, { a: null, l: [3], m: { y: 2 } }), {
      l: [3],
      m: { x: 1, y: 2 },
    });
  });
});

describe('strategic merge patch', () => {
  it('merges env by name and ports by containerPort, deletes with $patch', () => {
    const base = pod([
      {
        name: 'app',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80 }],
      },
    ]);
    const out = applyStrategicMergePatch(base, {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', $patch: 'delete' },
              { name: 'C', value: '3' },
            ],
            ports: [{ containerPort: 443 }],
          },
        ],
      },
    }) as {
      spec: { containers: Array<{ env: Array<{ name: string }>; ports: Array<{ containerPort: number }> }> };
    };
    assert.deepEqual(
      out.spec.containers[0]!.env.map((e) => e.name),
      ['A', 'C'],
    );
    assert.deepEqual(
      out.spec.containers[0]!.ports.map((p) => p.containerPort),
      [80, 443],
    );
  });
  it('replaces atomic lists and unions finalizers', () => {
    const out = applyStrategicMergePatch(
      { metadata: { finalizers: ['a'] }, args: ['x', 'y'] },
      { metadata: { finalizers: ['b'] }, args: ['z'] },
    );
    assert.deepEqual(out, { metadata: { finalizers: ['a', 'b'] }, args: ['z'] });
  });
});

describe('server-side apply', () => {
  const cm = (data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c' },
    data,
  });
  it('conflicts on a field another manager set to a different value, not on equal values', () => {
    const live = serverSideApply(undefined, cm({ a: '1' }), { manager: 'one', force: false, now: 't' });
    assert.doesNotThrow(() =>
      serverSideApply(live, cm({ a: '1' }), { manager: 'two', force: false, now: 't' }),
    );
    assert.throws(
      () => serverSideApply(live, cm({ a: '2' }), { manager: 'two', force: false, now: 't' }),
      (e: unknown) => e instanceof KubeError && e.code === 409,
    );
    const forced = serverSideApply(live, cm({ a: '2' }), { manager: 'two', force: true, now: 't' });
    assert.deepEqual(
      forced.metadata.managedFields?.map((m) => m.manager),
      ['two'],
    );
  });
  it('removes fields the manager stops applying', () => {
    const live = serverSideApply(undefined, cm({ a: '1', b: '2' }), {
      manager: 'one',
      force: false,
      now: 't',
    });
    const next = serverSideApply(live, cm({ a: '1' }), { manager: 'one', force: false, now: 't' });
    assert.deepEqual(next['data'], { a: '1' });
  });
  it('gives Update managers ownership of what they changed', () => {
    const live = serverSideApply(undefined, cm({ a: '1' }), { manager: 'one', force: false, now: 't' });
    const updated = recordUpdate(live, { ...live, data: { a: '9' } }, 'kubectl-edit', 't');
    assert.deepEqual(
      updated.metadata.managedFields?.map((m) => [m.manager, m.operation]),
      [['kubectl-edit', 'Update']],
    );
  });
  it('round-trips keyed list paths through FieldsV1', () => {
    const keys = leaves(pod([{ name: 'app', image: 'x' }]) as Record<string, unknown>, true);
    const back = fromFieldsV1(toFieldsV1(keys.keys()));
    assert.deepEqual([...back].sort(), [...keys.keys()].sort());
    assert.ok([...keys.keys()].some((k) => k.includes('k:{"name":"app"}')));
  });
});
