import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatSchema } from './messages/heartbeat.schema';
import { z } from 'zod';
import {
  jsonTextMayHoldUnsafeText,
  parseMessage,
  parseOrThrow,
  ProtocolValidationError,
  unsafeTextIssues,
} from './parse';

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

describe('jsonTextMayHoldUnsafeText', () => {
  it('clears text only when no value parsed from it can be refused', () => {
    // Every refused value, serialized as any JSON writer does, carries a \u escape.
    for (const bad of ['a\u0000b', '\ud800', 'x\udc00y', '\ud83dz']) {
      const text = JSON.stringify({ message: bad, [bad]: 1 });
      assert.equal(jsonTextMayHoldUnsafeText(text), true, JSON.stringify(text));
      assert.equal(unsafeTextIssues(JSON.parse(text)).length > 0, true);
    }
    // UTF-8 that encodes a surrogate decodes to U+FFFD, which is safe.
    const decoded = Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]).toString('utf8');
    assert.equal(jsonTextMayHoldUnsafeText(decoded), false);
    assert.deepEqual(unsafeTextIssues(JSON.parse(decoded)), []);
    // Raw control characters are not JSON: the parser refuses them before any check.
    assert.throws(() => JSON.parse('"a\u0000b"'));
    const fine = JSON.stringify({ name: 'café ✓ 😀', n: 1 });
    assert.equal(jsonTextMayHoldUnsafeText(fine), false);
  });

  it('skips the walk only when told the text was cleared', () => {
    const value = { name: 'a\u0000b' };
    assert.equal(parseMessage(z.object({ name: z.string() }), value).ok, false);
    assert.equal(parseMessage(z.object({ name: z.string() }), value, { textKnownSafe: true }).ok, true);
  });
});
