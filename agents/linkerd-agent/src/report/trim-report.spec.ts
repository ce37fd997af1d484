import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HealthReportSchema,
  jsonByteLength,
  type HealthReport,
  type NamespaceMtls,
} from '@meshfleet/agent-protocol';
import { fitReport } from './trim-report';

function namespace(i: number, workloads: number): NamespaceMtls {
  return {
    name: `ns-${String(i).padStart(4, '0')}`,
    injection: 'enabled',
    totalPods: workloads + i,
    meshedPods: workloads,
    workloads: Array.from({ length: workloads }, (_, w) => ({
      kind: 'Deployment' as const,
      name: `workload-with-a-long-name-${w}`,
      injection: 'enabled' as const,
      totalPods: 1,
      meshedPods: 1,
      proxyVersions: [{ version: 'enterprise-2.19.4', count: 1 }],
      pods: [
        {
          name: `workload-with-a-long-name-${w}-7d9c5-x2x1q`,
          ready: true,
          proxyVersion: 'enterprise-2.19.4',
        },
      ],
      podsTruncated: false,
    })),
    workloadsTruncated: false,
    proxyVersions: [{ version: 'enterprise-2.19.4', count: workloads }],
    staleTrustBundlePods: 0,
    staleTrustBundlePodNames: [],
  };
}

function report(namespaces: number, workloads: number): HealthReport {
  return HealthReportSchema.parse({
    sequence: 1,
    generatedAt: new Date(0).toISOString(),
    agentVersion: 'test',
    kubernetesVersion: 'v1.31.4',
    linkerd: {
      installed: true,
      version: 'enterprise-2.19.4',
      proxyVersions: [],
      skew: {
        controlPlane: null,
        oldestProxy: null,
        newestProxy: null,
        maxMajorsBehind: null,
        status: 'unknown',
      },
    },
    checks: { success: true, categories: [] },
    certificates: [],
    mtls: {
      namespaces: Array.from({ length: namespaces }, (_, i) => namespace(i, workloads)),
      totalPods: 123,
      meshedPods: 100,
      podCoverage: 100 / 123,
    },
  });
}

describe('report size trimming', () => {
  it('leaves a report under the limit untouched', () => {
    const r = report(3, 3);
    assert.equal(fitReport(r), r);
  });

  it('drops the adoption facts per workload before any mTLS detail', () => {
    const r = HealthReportSchema.parse({
      ...report(5, 5),
      adoption: {
        injector: { failurePolicy: 'Ignore', available: true },
        nativeSidecar: true,
        defaultOpaquePorts: '25,587,3306,4444,5432,6379,9300,11211',
        namespaces: Array.from({ length: 5 }, (_, i) => ({
          name: `ns-${i}`,
          inject: null,
          workloads: Array.from({ length: 40 }, (_, w) => ({
            kind: 'Deployment',
            name: `workload-with-a-long-name-${w}`,
            replicas: 2,
            inject: null,
            ports: [{ port: 8080 }],
          })),
        })),
      },
    });
    const limit = jsonByteLength(r) - 1000;
    const fitted = fitReport(r, limit);
    assert.ok(jsonByteLength(fitted) <= limit);
    assert.ok(fitted.adoption!.namespaces.every((n) => n.workloads.length === 0 && n.workloadsTruncated));
    assert.equal(fitted.adoption!.namespaces.length, 5);
    assert.ok(
      fitted.mtls.namespaces.every((n) => n.workloads.length === 5 && n.workloads[0]!.pods.length === 1),
    );
    assert.ok(HealthReportSchema.safeParse(fitted).success);
  });

  it('drops per-workload rows first and flags them', () => {
    const r = report(20, 50);
    const limit = Math.floor(jsonByteLength(r) / 3);
    const fitted = fitReport(r, limit);
    assert.ok(jsonByteLength(fitted) <= limit);
    assert.equal(fitted.mtls.namespaces.length, 20);
    assert.ok(fitted.mtls.namespaces.every((n) => n.workloads.length === 0 && n.workloadsTruncated));
    assert.equal(fitted.mtls.namespacesTruncated, false);
    assert.equal(r.mtls.namespaces[0]!.workloads.length, 50, 'the input is not modified');
  });

  it('then keeps the namespaces with the most pods, keeps totals and stays schema-valid', () => {
    const r = report(1000, 5);
    const limit = 40_000;
    const fitted = fitReport(r, limit);
    assert.ok(jsonByteLength(fitted) <= limit);
    assert.ok(fitted.mtls.namespaces.length > 0 && fitted.mtls.namespaces.length < 1000);
    assert.equal(fitted.mtls.namespacesTruncated, true);
    assert.equal(fitted.mtls.totalPods, 123);
    assert.ok(
      fitted.mtls.namespaces.some((n) => n.name === 'ns-0999'),
      'the biggest namespace is kept',
    );
    assert.ok(HealthReportSchema.safeParse(fitted).success);
  });
});
