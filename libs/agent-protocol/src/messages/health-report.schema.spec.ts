import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleHealthReport } from '../examples';
import { LIMITS } from '../limits';
import { parseMessage, parseOrThrow } from '../parse';
import { HealthReportSchema } from './health-report.schema';

function pathsOf(value: unknown): string[] {
  const r = parseMessage(HealthReportSchema, value);
  return r.ok ? [] : r.issues.map((i) => i.path);
}

describe('health report', () => {
  it('parses a valid report', () => {
    const report = parseOrThrow(HealthReportSchema, exampleHealthReport());
    assert.equal(report.mtls.namespaces[0]?.workloadsTruncated, false);
    assert.deepEqual(report.mtls.namespaces[0]?.staleTrustBundlePodNames, []);
  });

  it('fills protocol-2 fields for a version-1 report without traffic coverage', () => {
    const v1 = exampleHealthReport();
    delete v1.mtls.trafficCoverage;
    delete v1.mtls.sampled;
    delete v1.mtls.scrapeErrors;
    const report = parseOrThrow(HealthReportSchema, v1);
    assert.deepEqual(report.mtls.trafficCoverage, { connections: null, requests: null, podsScraped: 0 });
    assert.equal(report.mtls.sampled, false);
  });

  it('names the path of a bad check result', () => {
    const bad = exampleHealthReport();
    (bad.checks.categories[0]!.checks[0] as { result: string }).result = 'ok';
    assert.deepEqual(pathsOf(bad), ['checks.categories.0.checks.0.result']);
  });

  it('rejects an oversize namespace array', () => {
    const bad = exampleHealthReport();
    const ns = bad.mtls.namespaces[0]!;
    bad.mtls.namespaces = Array.from({ length: LIMITS.namespaces + 1 }, (_, i) => ({
      ...ns,
      name: `ns-${i}`,
    }));
    assert.deepEqual(pathsOf(bad), ['mtls.namespaces']);
  });

  it('rejects too many checks in a category', () => {
    const bad = exampleHealthReport();
    const check = bad.checks.categories[0]!.checks[0]!;
    bad.checks.categories[0]!.checks = Array.from({ length: LIMITS.checksPerCategory + 1 }, () => check);
    assert.deepEqual(pathsOf(bad), ['checks.categories.0.checks']);
  });

  it('rejects a coverage share above 1 and a negative pod count', () => {
    const bad = exampleHealthReport();
    bad.mtls.podCoverage = 1.5;
    bad.mtls.namespaces[0]!.meshedPods = -1;
    assert.deepEqual(pathsOf(bad).sort(), ['mtls.namespaces.0.meshedPods', 'mtls.podCoverage']);
  });

  it('refuses a certificate entry carrying a private key', () => {
    const bad = exampleHealthReport();
    Object.assign(bad.certificates[0]!, { privateKey: '-----BEGIN PRIVATE KEY-----' });
    assert.deepEqual(pathsOf(bad), ['certificates.0']);
  });

  it('rejects a malformed fingerprint', () => {
    const bad = exampleHealthReport();
    bad.certificates[0]!.sha256Fingerprint = 'AB:CD';
    assert.deepEqual(pathsOf(bad), ['certificates.0.sha256Fingerprint']);
  });
});
