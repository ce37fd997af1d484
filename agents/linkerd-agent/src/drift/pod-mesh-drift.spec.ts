import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podMeshFindings } from './pod-mesh-drift';

const workload = (name: string, versions: Array<[string, number]>) => ({
  kind: 'Deployment' as const,
  name,
  injection: 'enabled' as const,
  totalPods: 2,
  meshedPods: 2,
  proxyVersions: versions.map(([version, count]) => ({ version, count })),
  pods: [],
  podsTruncated: false,
});
const namespace = (name: string, stale: number, workloads: ReturnType<typeof workload>[]) => ({
  name,
  injection: 'enabled' as const,
  totalPods: 2,
  meshedPods: 2,
  workloads,
  workloadsTruncated: false,
  proxyVersions: [],
  staleTrustBundlePods: stale,
  staleTrustBundlePodNames: [],
});

describe('pod-level mesh drift', () => {
  it('names workloads whose proxies run another version and namespaces with stale trust roots', () => {
    const found = podMeshFindings({
      controlPlaneVersion: 'edge-25.2.1',
      mtls: {
        namespaces: [
          namespace('shop', 0, [
            workload('web', [['edge-25.2.1', 2]]),
            workload('cart', [['edge-25.1.1', 1]]),
          ]),
          namespace('pay', 3, []),
        ],
      },
      namespaces: [],
      workloads: [],
    });
    assert.deepEqual(
      found.map((f) => [f.reason, f.kind, f.namespace, f.name, f.path, f.desired, f.live]),
      [
        ['POD_MESH', 'Deployment', 'shop', 'cart', 'proxy.version', 'edge-25.2.1', 'edge-25.1.1 (1 pods)'],
        [
          'POD_MESH',
          'Namespace',
          null,
          'pay',
          'proxy.trustRoots',
          'the current trust bundle',
          '3 pod(s) on an older bundle',
        ],
      ],
    );
  });

  it('names an injection annotation changed by hand where Meshfleet meshed, not where it never did', () => {
    const marker = { 'meshfleet.io/inject-before': '{"inject":null}' };
    const found = podMeshFindings({
      controlPlaneVersion: null,
      mtls: { namespaces: [] },
      namespaces: [
        { metadata: { name: 'legacy', annotations: { ...marker } } },
        { metadata: { name: 'meshed', annotations: { ...marker, 'linkerd.io/inject': 'enabled' } } },
        { metadata: { name: 'theirs', annotations: {} } },
      ],
      workloads: [
        {
          kind: 'Deployment',
          items: [
            {
              metadata: { name: 'billing', namespace: 'ops', annotations: marker },
              spec: { template: { metadata: { annotations: { 'linkerd.io/inject': 'disabled' } } } },
            },
          ],
        },
      ],
    });
    assert.deepEqual(
      found.map((f) => [f.kind, f.namespace, f.name, f.path, f.live]),
      [
        ['Namespace', null, 'legacy', 'metadata.annotations.linkerd.io/inject', null],
        ['Deployment', 'ops', 'billing', 'spec.template.metadata.annotations.linkerd.io/inject', 'disabled'],
      ],
    );
  });
});
