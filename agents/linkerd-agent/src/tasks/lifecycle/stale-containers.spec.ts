import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BundleObject } from './bundle-objects';
import { staleContainersPatch } from './stale-containers';

const deployment = (containers: string[], initContainers: string[] = []) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'linkerd-destination', namespace: 'linkerd' },
  spec: {
    template: {
      spec: {
        containers: containers.map((name) => ({ name, image: `${name}:x` })),
        initContainers: initContainers.map((name) => ({ name, image: `${name}:x` })),
      },
    },
  },
});

describe('stale control-plane containers', () => {
  it('deletes the old proxy container when the release moved the proxy to a native sidecar', () => {
    const desired = deployment(['destination', 'policy'], ['linkerd-init', 'linkerd-proxy']) as BundleObject;
    const live = deployment(['linkerd-proxy', 'destination', 'policy'], ['linkerd-init', 'linkerd-proxy']);
    assert.deepEqual(staleContainersPatch(desired, live), {
      patch: {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'destination', image: 'destination:x' },
                { name: 'policy', image: 'policy:x' },
              ],
            },
          },
        },
      },
      removed: ['containers/linkerd-proxy'],
    });
  });

  it('leaves a workload that matches the release, and objects that are not workloads, alone', () => {
    const desired = deployment(['destination'], ['linkerd-init']) as BundleObject;
    assert.equal(staleContainersPatch(desired, deployment(['destination'], ['linkerd-init'])), null);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'linkerd-config' } } as BundleObject;
    assert.equal(staleContainersPatch(cm, deployment(['x'])), null);
  });
});
