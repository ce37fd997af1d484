import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isSupportedProtocolVersion,
  parseProtocolVersion,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from './version';

describe('protocol versions', () => {
  it('accepts the current and the previous version', () => {
    assert.deepEqual(SUPPORTED_PROTOCOL_VERSIONS, [PROTOCOL_VERSION, PROTOCOL_VERSION - 1]);
    assert.equal(isSupportedProtocolVersion(PROTOCOL_VERSION), true);
    assert.equal(isSupportedProtocolVersion(PROTOCOL_VERSION - 1), true);
  });

  it('rejects unknown versions', () => {
    for (const v of [PROTOCOL_VERSION + 1, PROTOCOL_VERSION - 2, 0, -1, 2.5, NaN]) {
      assert.equal(isSupportedProtocolVersion(v), false, String(v));
    }
  });

  it('parses header values strictly', () => {
    assert.equal(parseProtocolVersion(String(PROTOCOL_VERSION)), PROTOCOL_VERSION);
    assert.equal(parseProtocolVersion(String(PROTOCOL_VERSION - 1)), PROTOCOL_VERSION - 1);
    for (const bad of ['', ' 2', '2.0', 'v2', '99', undefined, null, ['2']]) {
      assert.equal(parseProtocolVersion(bad), null, JSON.stringify(bad));
    }
  });
});
