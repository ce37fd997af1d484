import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod } from '../testing/cluster.fixture';
import { allContainersReady, isMeshed, proxyImageTag, proxyVersion } from './pods';
import { workloadOf } from './workloads';

describe('pod facts', () => {
  it('sees the proxy as a regular container or a native sidecar', () => {
    assert.equal(isMeshed(pod({ ns: 'a', name: 'p' })), true);
    const native = pod({ ns: 'a', name: 'p', nativeSidecar: true });
    assert.equal(
      native.spec?.containers.some((c) => c.name === 'linkerd-proxy'),
      false,
    );
    assert.equal(isMeshed(native), true);
    assert.equal(allContainersReady(native), true);
    assert.equal(isMeshed(pod({ ns: 'a', name: 'p', meshed: false })), false);
  });

  it('reads the proxy version from the image tag, else the annotation', () => {
    const p = pod({ ns: 'a', name: 'p', version: 'edge-26.6.3' });
    assert.equal(proxyImageTag(p), 'edge-26.6.3');
    p.spec!.containers[1]!.image = 'registry:5000/linkerd/proxy@sha256:abcd';
    assert.equal(proxyImageTag(p), null);
    assert.equal(proxyVersion(p), 'edge-26.6.3', 'falls back to linkerd.io/proxy-version');
    p.spec!.containers[1]!.image = 'registry:5000/linkerd/proxy';
    assert.equal(proxyImageTag(p), null, 'a registry port is not a tag');
  });
});

describe('workloadOf', () => {
  it('prefers the injector label, then resolves ReplicaSets to their Deployment', () => {
    assert.deepEqual(
      workloadOf(pod({ ns: 'a', name: 'p', labels: { 'linkerd.io/proxy-daemonset': 'agent' } })),
      {
        kind: 'DaemonSet',
        name: 'agent',
      },
    );
    assert.deepEqual(workloadOf(pod({ ns: 'a', name: 'web-5d8f7c9b4-x', deployment: 'web' })), {
      kind: 'Deployment',
      name: 'web',
    });
    assert.deepEqual(workloadOf(pod({ ns: 'a', name: 'db-0', owner: { kind: 'StatefulSet', name: 'db' } })), {
      kind: 'StatefulSet',
      name: 'db',
    });
    assert.deepEqual(workloadOf(pod({ ns: 'a', name: 'bare' })), { kind: 'Pod', name: 'bare' });
  });
});
