import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from './examples';
import { exceedsBodyLimit, jsonByteLength, MAX_BODY_BYTES } from './limits';

describe('body size limits', () => {
  it('publishes the contract limits', () => {
    assert.equal(MAX_BODY_BYTES.report, 1024 * 1024);
    assert.equal(MAX_BODY_BYTES.heartbeat, 8 * 1024);
    assert.equal(MAX_BODY_BYTES.taskEvent, 256 * 1024);
  });

  it('measures UTF-8 bytes, not characters', () => {
    assert.equal(jsonByteLength({ a: 'é' }), '{"a":"é"}'.length + 1);
  });

  it('flags a heartbeat over 8 KiB but not a normal report', () => {
    assert.equal(exceedsBodyLimit('heartbeat', 8 * 1024 + 1), true);
    assert.equal(exceedsBodyLimit('heartbeat', 8 * 1024), false);
    assert.equal(exceedsBodyLimit('report', jsonByteLength(exampleHealthReport())), false);
  });
});
