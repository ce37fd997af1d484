import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { detectProvider, detectRegion } from './provider';

const node = (providerID?: string, labels: Record<string, string> = {}): V1Node => ({
  metadata: { name: 'n', labels },
  spec: providerID === undefined ? {} : { providerID },
});

describe('detectProvider', () => {
  it('maps the managed clouds from spec.providerID', () => {
    assert.equal(
      detectProvider([
        node(
          'azure:///subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachineScaleSets/a/virtualMachines/0',
        ),
      ]),
      'AKS',
    );
    assert.equal(detectProvider([node('aws:///eu-west-1a/i-0abc')]), 'EKS');
    assert.equal(detectProvider([node('gce://project/europe-west1-b/gke-pool-1')]), 'GKE');
  });

  it('treats missing or private-cloud provider IDs as on-prem, other clouds as OTHER', () => {
    assert.equal(detectProvider([node(), node('')]), 'ONPREM');
    assert.equal(detectProvider([node('vsphere://4230-abc')]), 'ONPREM');
    assert.equal(detectProvider([node('kind://docker/kind/kind-control-plane')]), 'ONPREM');
    assert.equal(detectProvider([node('digitalocean://12345')]), 'OTHER');
    assert.equal(detectProvider([]), 'OTHER');
  });

  it('follows the majority of nodes', () => {
    assert.equal(detectProvider([node('aws:///a/i-1'), node('aws:///a/i-2'), node()]), 'EKS');
  });
});

describe('detectRegion', () => {
  it('reads the topology label, then the legacy failure-domain label', () => {
    assert.equal(
      detectRegion([node('aws:///x', { 'topology.kubernetes.io/region': 'eu-west-1' })]),
      'eu-west-1',
    );
    assert.equal(
      detectRegion([node('aws:///x', { 'failure-domain.beta.kubernetes.io/region': 'us-east-1' })]),
      'us-east-1',
    );
  });

  it('prefers the most common region and returns null without labels', () => {
    const nodes = [
      node(undefined, { 'topology.kubernetes.io/region': 'westeurope' }),
      node(undefined, { 'topology.kubernetes.io/region': 'westeurope' }),
      node(undefined, { 'topology.kubernetes.io/region': 'northeurope' }),
    ];
    assert.equal(detectRegion(nodes), 'westeurope');
    assert.equal(detectRegion([node()]), null);
  });
});
