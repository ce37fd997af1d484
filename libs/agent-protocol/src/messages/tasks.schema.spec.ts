import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, parseOrThrow } from '../parse';
import {
  TASK_KINDS,
  TaskEnvelopeSchema,
  TaskEventSchema,
  TaskPollResponseSchema,
  TaskResultSchema,
} from './tasks.schema';

const task = {
  id: 't-1',
  kind: 'COLLECT_PROXY_METRICS',
  issuedAt: '2026-07-01T12:00:00Z',
  params: { namespace: 'shop', pod: 'web-7d9f-abcde' },
};

describe('tasks', () => {
  it('parses a diagnostic task and defaults the attempt', () => {
    const t = parseOrThrow(TaskEnvelopeSchema, task);
    assert.equal(t.kind, 'COLLECT_PROXY_METRICS');
    assert.equal(t.attempt, 1);
    assert.deepEqual(TASK_KINDS, [
      'COLLECT_PROXY_METRICS',
      'LINKERD_INSTALL',
      'LINKERD_UPGRADE',
      'LINKERD_UNINSTALL',
      'ROTATE_ISSUER',
      'RESTART_DATA_PLANE',
      'MESH_NAMESPACES',
      'UNMESH_NAMESPACES',
      'RECONCILE_DRIFT',
      'INSTALL_EXTENSION',
      'UPGRADE_EXTENSION',
      'UNINSTALL_EXTENSION',
    ]);
  });

  it('rejects an unknown kind at the discriminator path', () => {
    const r = parseMessage(TaskEnvelopeSchema, { ...task, kind: 'DELETE_CLUSTER' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]?.path, 'kind');
  });

  it('rejects an invalid pod name', () => {
    const r = parseMessage(TaskEnvelopeSchema, { ...task, params: { namespace: 'shop', pod: '../etc' } });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]?.path, 'params.pod');
  });

  it('accepts an empty long-poll answer', () => {
    assert.equal(parseMessage(TaskPollResponseSchema, { task: null }).ok, true);
  });

  it('validates events and results', () => {
    const at = '2026-07-01T12:00:01Z';
    assert.equal(
      parseMessage(TaskEventSchema, { taskId: 't-1', step: 'fetch', status: 'started', at }).ok,
      true,
    );
    assert.equal(
      parseMessage(TaskEventSchema, { taskId: 't-1', step: 'fetch', status: 'done', at }).ok,
      false,
    );
    const ok = {
      taskId: 't-1',
      status: 'succeeded',
      finishedAt: at,
      output: { kind: 'COLLECT_PROXY_METRICS', metrics: 'request_total 1\n' },
    };
    assert.equal(parseMessage(TaskResultSchema, ok).ok, true);
    const failedWithoutError = parseMessage(TaskResultSchema, {
      taskId: 't-1',
      status: 'failed',
      finishedAt: at,
    });
    assert.equal(failedWithoutError.ok, false);
    if (!failedWithoutError.ok) assert.equal(failedWithoutError.issues[0]?.path, 'error');
  });
});
