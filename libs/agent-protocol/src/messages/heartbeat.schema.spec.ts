import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHeartbeat } from '../examples';
import { jsonByteLength, MAX_BODY_BYTES } from '../limits';
import { parseMessage } from '../parse';
import { HeartbeatResponseSchema, HeartbeatSchema } from './heartbeat.schema';

describe('heartbeat messages', () => {
  it('accepts a version-1 heartbeat without a sequence', () => {
    const { sequence: _sequence, ...v1 } = exampleHeartbeat();
    assert.equal(parseMessage(HeartbeatSchema, v1).ok, true);
  });

  it('keeps a valid heartbeat well under its byte limit', () => {
    assert.ok(jsonByteLength(exampleHeartbeat()) < MAX_BODY_BYTES.heartbeat / 4);
  });

  it('accepts a response asking for a report and rejects a bad server time', () => {
    const ok = {
      serverTime: '2026-07-01T12:00:00Z',
      heartbeatIntervalSeconds: 15,
      reportIntervalSeconds: 60,
    };
    assert.equal(parseMessage(HeartbeatResponseSchema, { ...ok, reportRequested: true }).ok, true);
    const r = parseMessage(HeartbeatResponseSchema, { ...ok, serverTime: 'yesterday' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]?.path, 'serverTime');
  });
});
