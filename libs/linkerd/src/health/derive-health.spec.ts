import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthReportSchema, parseOrThrow, type HealthReport } from '@meshfleet/agent-protocol';
import { certificateInventory } from '../certificates/inventory';
import { runChecks } from '../checks/run-checks';
import { mtlsStatus } from '../mtls/mtls-status';
import type { ClusterSnapshot } from '../snapshot';
import { healthyCluster, issuerSecret, NOW, pod, withSecret } from '../testing/cluster.fixture';
import { makeCert, makePki, type TestPki } from '../testing/pki.fixture';
import { deriveHealth, protocolHealthStatus } from './derive-health';
import { linkerdInfo } from './linkerd-info';

/** Assembles a report the way the agent will, and validates it against the contract. */
async function report(s: ClusterSnapshot): Promise<HealthReport> {
  return parseOrThrow(HealthReportSchema, {
    sequence: 1,
    generatedAt: s.now.toISOString(),
    agentVersion: '0.1.0',
    kubernetesVersion: s.kubernetesVersion,
    linkerd: linkerdInfo(s),
    checks: await runChecks(s),
    certificates: await certificateInventory(s),
    mtls: mtlsStatus(s, {
      scrapes: [
        {
          namespace: 'shop',
          pod: 'db-0',
          text: 'request_total{direction="inbound",tls="true"} 8\nrequest_total{direction="inbound",tls="no_identity",no_tls_reason="no_tls_from_remote"} 2',
        },
      ],
    }),
  });
}

describe('deriveHealth', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('stores the worse of request and connection coverage as the headline', async () => {
    const r = await report(healthyCluster(pki));
    r.mtls.trafficCoverage = {
      requests: { tls: 90, total: 100, share: 0.9 },
      connections: { tls: 50, total: 100, share: 0.5 },
      podsScraped: 2,
    };
    assert.equal(deriveHealth(r).trafficCoverage, 0.5);
    assert.deepEqual([deriveHealth(r).requestCoverage, deriveHealth(r).connectionCoverage], [0.9, 0.5]);
    r.mtls.trafficCoverage.connections = null;
    assert.equal(deriveHealth(r).trafficCoverage, 0.9);
    assert.equal(deriveHealth(r).connectionCoverage, null);
    // Connections seen, but none counted (all were probes): no share, so no say in the headline.
    r.mtls.trafficCoverage.connections = { tls: 0, total: 0, share: null };
    assert.deepEqual([deriveHealth(r).trafficCoverage, deriveHealth(r).connectionCoverage], [0.9, null]);
  });

  it('derives the skew and the trust anchors the fleet summary groups by, paired by position', async () => {
    const r = await report(healthyCluster(pki));
    const anchor = r.certificates.find((c) => c.role === 'trust-anchor')!;
    r.certificates.push({ ...anchor, sha256Fingerprint: 'f'.repeat(64), subject: 'CN=next anchor' });
    const d = deriveHealth(r);
    assert.equal(d.proxySkew, r.linkerd.skew.status);
    assert.deepEqual(d.trustAnchorFingerprints, [anchor.sha256Fingerprint, 'f'.repeat(64)]);
    assert.deepEqual(d.trustAnchorSubjects, [anchor.subject, 'CN=next anchor']);
  });

  it('derives HEALTHY and the stored fields from a healthy report', async () => {
    const d = deriveHealth(await report(healthyCluster(pki)));
    assert.equal(d.status, 'HEALTHY');
    assert.equal(d.controlPlaneVersion, 'edge-26.6.3');
    assert.equal(d.linkerdInstalled, true);
    assert.equal(d.podCoverage, 3 / 5);
    assert.equal(d.trafficCoverage, 0.8);
    assert.equal(d.earliestCertificateExpiry?.role, 'issuer');
    assert.equal(d.checkedAt, NOW.toISOString());
  });

  it('is DEGRADED with warnings only', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'old', version: 'edge-25.10.7', trustPem: pki.anchor.pem }));
    const d = deriveHealth(await report(s));
    assert.equal(d.status, 'DEGRADED');
    assert.equal(d.errorCount, 0);
    assert.equal(d.warningCount, 1);
  });

  it('is UNHEALTHY with an expired issuer and points at its expiry', async () => {
    const expired = await makeCert({
      cn: 'identity.linkerd.cluster.local',
      now: NOW,
      from: -400,
      to: -2,
      signer: pki.anchor,
    });
    const d = deriveHealth(await report(withSecret(healthyCluster(pki), issuerSecret(expired.pem))));
    assert.equal(d.status, 'UNHEALTHY');
    assert.equal(d.earliestCertificateExpiry?.notAfter, expired.cert.notAfter.toISOString());
  });

  it('reports a cluster without Linkerd as NOT_INSTALLED, a state with its reason, not a failure', async () => {
    const s = healthyCluster(pki);
    const r = await report({ ...s, configMaps: [], secrets: [], pods: [] });
    const d = deriveHealth(r);
    assert.equal(r.linkerd.installed, false);
    assert.ok(d.errorCount > 0, 'the existence checks still fail');
    assert.equal(d.status, 'NOT_INSTALLED');
    assert.deepEqual(
      d.reasons.map((x) => x.code),
      ['NOT_INSTALLED'],
    );
    assert.equal(d.linkerdInstalled, false);
    assert.equal(d.earliestCertificateExpiry, null);
    // Offline or stale still reads UNKNOWN, whatever the report said.
    assert.equal(deriveHealth(r, { connected: false }).status, 'UNKNOWN');
    assert.equal(protocolHealthStatus(d.status), 'UNKNOWN');
  });

  it('says why a cluster is DEGRADED: the warning check and the proxy version skew', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'old', version: 'edge-25.10.7', trustPem: pki.anchor.pem }));
    const d = deriveHealth(await report(s));
    assert.equal(d.status, 'DEGRADED');
    const warnings = d.reasons.filter((x) => x.level === 'warning');
    assert.equal(warnings.length, d.warningCount, JSON.stringify(d.reasons));
    assert.ok(warnings.every((x) => x.code === 'CHECK_WARNING'));
    const skew = d.reasons.find((x) => x.code === 'PROXY_VERSION_SKEW');
    assert.ok(skew, JSON.stringify(d.reasons));
    assert.match(skew.message, /edge-25\.10\.7/);
  });

  it('names the failed check and the expired certificate of an UNHEALTHY cluster', async () => {
    const expired = await makeCert({
      cn: 'identity.linkerd.cluster.local',
      now: NOW,
      from: -400,
      to: -2,
      signer: pki.anchor,
    });
    const d = deriveHealth(await report(withSecret(healthyCluster(pki), issuerSecret(expired.pem))));
    assert.equal(d.status, 'UNHEALTHY');
    assert.ok(d.reasons.some((x) => x.code === 'CHECK_FAILED' && x.level === 'error'));
    assert.ok(d.reasons.some((x) => x.code === 'CERTIFICATE_EXPIRED' && /issuer/.test(x.message)));
  });

  it('keeps a HEALTHY cluster at 0 % mTLS HEALTHY but says coverage is 0', async () => {
    const r = await report(healthyCluster(pki));
    r.mtls = { ...r.mtls, meshedPods: 0, podCoverage: 0 };
    const d = deriveHealth(r);
    assert.equal(d.status, 'HEALTHY');
    const zero = d.reasons.find((x) => x.code === 'MTLS_COVERAGE_ZERO');
    assert.ok(zero, JSON.stringify(d.reasons));
    assert.equal(zero.level, 'warning');
    assert.match(zero.message, /0 %/);
  });

  it('lists partial coverage and plaintext traffic as info on a healthy cluster', async () => {
    const d = deriveHealth(await report(healthyCluster(pki)));
    assert.equal(d.status, 'HEALTHY');
    assert.ok(
      d.reasons.every((x) => x.level === 'info'),
      JSON.stringify(d.reasons),
    );
    assert.deepEqual(
      d.reasons.map((x) => x.code),
      ['MTLS_COVERAGE_LOW', 'PLAINTEXT_TRAFFIC'],
    );
  });

  it('says why it is UNKNOWN', async () => {
    const r = await report(healthyCluster(pki));
    assert.equal(deriveHealth(null).reasons[0]?.code, 'NO_REPORT');
    assert.equal(deriveHealth(r, { connected: false }).reasons[0]?.code, 'AGENT_OFFLINE');
    const later = new Date(NOW.getTime() + 10 * 60_000);
    assert.equal(deriveHealth(r, { now: later, maxAgeSeconds: 180 }).reasons[0]?.code, 'STALE_REPORT');
  });

  it('is UNKNOWN without a report, when offline, or when the report is stale', async () => {
    const r = await report(healthyCluster(pki));
    assert.equal(deriveHealth(null).status, 'UNKNOWN');
    assert.equal(deriveHealth(r, { connected: false }).status, 'UNKNOWN');
    const later = new Date(NOW.getTime() + 10 * 60_000);
    assert.equal(deriveHealth(r, { now: later, maxAgeSeconds: 180 }).status, 'UNKNOWN');
    assert.equal(deriveHealth(r, { now: later, maxAgeSeconds: 3600 }).status, 'HEALTHY');
  });

  it('fills the linkerd section with versions and skew', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'old', version: 'edge-25.10.7' }));
    const info = linkerdInfo(s);
    assert.equal(info.channel, 'edge');
    assert.equal(info.ha, false);
    assert.equal(info.skew.status, 'within-support');
    assert.deepEqual(info.proxyVersions[0], { version: 'edge-26.6.3', count: 6 });
  });
});
