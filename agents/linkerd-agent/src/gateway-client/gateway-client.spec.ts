import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport, MAX_BODY_BYTES } from '@meshfleet/agent-protocol';
import { GatewayClient } from './gateway-client';
import { GatewayError, parseRetryAfter } from './gateway-error';

// Nothing listens here: the checks below must fail before any request is attempted.
const client = new GatewayClient({ apiUrl: 'http://127.0.0.1:9', requestTimeoutMs: 500 });

describe('gateway client', () => {
  it('refuses to send a body that breaks the contract', async () => {
    await assert.rejects(
      client.heartbeat('mfa_credential_0123456789', { agentVersion: '', uptimeSeconds: -1 }),
      (e: unknown) => e instanceof GatewayError && e.kind === 'protocol' && /agentVersion/.test(e.message),
    );
  });

  it('refuses a report over the size limit instead of collecting a 413', async () => {
    const report = exampleHealthReport();
    const huge = { ...report, agentVersion: 'x'.repeat(200), generatedAt: report.generatedAt };
    huge.checks = {
      success: true,
      categories: Array.from({ length: 32 }, (_, i) => ({
        name: `c${i}`,
        checks: Array.from({ length: 64 }, () => ({
          description: 'd',
          result: 'error' as const,
          error: 'e'.repeat(4000),
          fatal: false,
        })),
      })),
    };
    await assert.rejects(
      client.report('mfa_credential_0123456789', huge),
      (e: unknown) =>
        e instanceof GatewayError && e.status === 413 && e.message.includes(String(MAX_BODY_BYTES.report)),
    );
  });

  it('classifies an unreachable API as a network error', async () => {
    await assert.rejects(
      client.nextTask('mfa_credential_0123456789', 0),
      (e: unknown) => e instanceof GatewayError && e.kind === 'network' && !e.isAuthFailure,
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter(new Date(61_000).toUTCString(), 1_000), 60_000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
