import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGENT_FAILURE_CODES,
  API_FAILURE_CODES,
  isTransientFailure,
  LIFECYCLE_FAILURE_CODES,
  TRANSIENT_FAILURE_CODES,
} from './failures';

describe('task failure codes', () => {
  it('lists each code once, lifecycle codes among the agent ones', () => {
    const all = [...AGENT_FAILURE_CODES, ...API_FAILURE_CODES.filter((c) => c !== 'CANCELLED')];
    assert.equal(new Set(all).size, all.length);
    for (const c of LIFECYCLE_FAILURE_CODES)
      assert.ok((AGENT_FAILURE_CODES as readonly string[]).includes(c));
  });

  it('retries only the transient ones, never an unknown code', () => {
    for (const c of TRANSIENT_FAILURE_CODES) assert.equal(isTransientFailure(c), true, c);
    for (const c of ['PRECHECK_FAILED', 'UPGRADE_PATH_REFUSED', 'INVALID_TASK', 'SOMETHING_NEW'])
      assert.equal(isTransientFailure(c), false, c);
  });
});
