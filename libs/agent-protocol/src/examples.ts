// Minimal valid messages, for tests on both sides of the contract (API gateway and agent).
// Each call returns a fresh object, so tests may mutate it.
import type { EnrollRequestInput, HealthReportInput, HeartbeatInput } from './input-types';

export function exampleEnrollRequest(): EnrollRequestInput {
  return {
    bootstrapToken: 'mfb_0123456789abcdef0123',
    agentVersion: '0.1.0',
    cluster: { kubernetesVersion: 'v1.31.2', provider: 'EKS', nodeCount: 3, region: 'eu-west-1' },
  };
}

export function exampleHeartbeat(): HeartbeatInput {
  return { agentVersion: '0.1.0', sequence: 1, uptimeSeconds: 15, status: { linkerdInstalled: true } };
}

const DAY_MS = 86_400_000;

/**
 * The example trust anchor's expiry: ten years after the start of today (UTC). A fixed date
 * would age into CERTIFICATE_EXPIRING and then CERTIFICATE_EXPIRED as the calendar moves on,
 * and every test and benchmark that sends the example would start alerting.
 */
function exampleAnchorNotAfter(): string {
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  return new Date(today + 3650 * DAY_MS).toISOString();
}

export function exampleHealthReport(): HealthReportInput {
  return {
    sequence: 7,
    generatedAt: '2026-07-01T12:00:00.000Z',
    agentVersion: '0.1.0',
    kubernetesVersion: 'v1.31.2',
    linkerd: {
      installed: true,
      controlPlaneNamespace: 'linkerd',
      version: 'edge-26.6.3',
      channel: 'edge',
      ha: false,
      proxyVersions: [{ version: 'edge-26.6.3', count: 4 }],
      skew: {
        controlPlane: 'edge-26.6.3',
        oldestProxy: 'edge-26.6.3',
        newestProxy: 'edge-26.6.3',
        maxMajorsBehind: 0,
        status: 'none',
      },
    },
    checks: {
      success: true,
      categories: [
        {
          name: 'kubernetes-api',
          checks: [{ description: 'can query the Kubernetes API', result: 'success', fatal: true }],
        },
      ],
    },
    certificates: [
      {
        role: 'trust-anchor',
        name: 'root.linkerd.cluster.local',
        source: {
          kind: 'ConfigMap',
          namespace: 'linkerd',
          name: 'linkerd-identity-trust-roots',
          key: 'ca-bundle.crt',
        },
        subject: 'CN=root.linkerd.cluster.local',
        issuer: 'CN=root.linkerd.cluster.local',
        serialNumber: '01',
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: exampleAnchorNotAfter(),
        keyAlgorithm: 'ECDSA P-256',
        signatureAlgorithm: 'ECDSA SHA-256',
        isCA: true,
        dnsNames: [],
        sha256Fingerprint: 'a'.repeat(64),
        chainsToAnchors: true,
      },
    ],
    mtls: {
      namespaces: [
        {
          name: 'shop',
          injection: 'enabled',
          totalPods: 4,
          meshedPods: 4,
          workloads: [
            {
              kind: 'Deployment',
              name: 'web',
              injection: 'enabled',
              totalPods: 4,
              meshedPods: 4,
              proxyVersions: [{ version: 'edge-26.6.3', count: 4 }],
            },
          ],
          proxyVersions: [{ version: 'edge-26.6.3', count: 4 }],
          staleTrustBundlePods: 0,
        },
      ],
      totalPods: 4,
      meshedPods: 4,
      podCoverage: 1,
      trafficCoverage: {
        connections: { tls: 90, total: 100, share: 0.9 },
        requests: null,
        podsScraped: 4,
      },
      sampled: false,
      scrapeErrors: [],
    },
  };
}
