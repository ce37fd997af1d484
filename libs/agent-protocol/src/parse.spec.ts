import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatSchema } from './messages/heartbeat.schema';
import { parseMessage, parseOrThrow, ProtocolValidationError } from './parse';

describe('parseOrThrow', () => {
  it('returns the typed value', () => {
    const hb = parseOrThrow(HeartbeatSchema, { agentVersion: '1.0.0', uptimeSeconds: 3 });
    assert.equal(hb.agentVersion, '1.0.0');
  });

  it('throws every issue with its path', () => {
    assert.throws(
      () =>
        parseOrThrow(HeartbeatSchema, { agentVersion: '', uptimeSeconds: -1, status: { health: 'GREEN' } }),
      (e: unknown) => {
        assert.ok(e instanceof ProtocolValidationError);
        const paths = e.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, ['agentVersion', 'status.health', 'uptimeSeconds']);
        assert.match(e.message, /status\.health/);
        return true;
      },
    );
  });

  it('reports a root-level issue with an empty path', () => {
    const r = parseMessage(HeartbeatSchema, 'not an object');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]?.path, '');
  });
});
