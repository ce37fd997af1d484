// A simulated bundle, filled the way the agent fills it, must look like a real install to the
// rest of this library (certificate inventory, linkerd-config parsing).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1Pod, V1Secret } from '@kubernetes/client-node';
import { certificateInventory } from '../certificates/inventory';
import { runChecks } from '../checks/run-checks';
import type { ClusterSnapshot } from '../snapshot';
import { makePki, type TestPki } from '../testing/pki.fixture';
import { fillPlaceholders } from './placeholders';
import { renderSimulatedRelease } from './render-release';
import { parseBundleDocuments, type KubeObject } from './yaml-bundle';

const NOW = new Date('2026-07-01T12:00:00Z');
const FAKE_KEY = '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n';

/** What the simulator does once a Deployment rolls out: ready pods from its template. */
function rollOut(deployments: V1Deployment[]): V1Pod[] {
  return deployments.flatMap((d) => {
    const replicas = d.spec?.replicas ?? 1;
    d.status = { replicas, availableReplicas: replicas, readyReplicas: replicas };
    const t = d.spec!.template;
    const ready = (cs: Array<{ name: string; image?: string }> = []) =>
      cs.map((c) => ({ name: c.name, ready: true, restartCount: 0, image: c.image ?? '', imageID: '' }));
    return Array.from({ length: replicas }, (_, i) => ({
      metadata: {
        namespace: d.metadata!.namespace!,
        name: `${d.metadata!.name}-5d8f7c9b4-${i}`,
        labels: { ...t.metadata!.labels, 'pod-template-hash': '5d8f7c9b4' },
        annotations: t.metadata!.annotations!,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${d.metadata!.name}-5d8f7c9b4`,
            uid: 'u',
            controller: true,
          },
        ],
      },
      spec: t.spec!,
      status: {
        phase: 'Running',
        podIP: `10.0.0.${10 + i}`,
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: ready(t.spec!.containers),
        initContainerStatuses: ready(t.spec!.initContainers),
      },
    }));
  });
}

function snapshotOf(objects: KubeObject[], crds: KubeObject[] = []): ClusterSnapshot {
  const of = <T>(kind: string) => objects.filter((o) => o.kind === kind) as unknown as T[];
  const deployments = of<V1Deployment>('Deployment');
  return {
    kubernetesVersion: 'v1.33.1',
    namespaces: of('Namespace'),
    pods: rollOut(deployments),
    deployments,
    daemonSets: [],
    configMaps: of<V1ConfigMap>('ConfigMap'),
    secrets: of<V1Secret>('Secret'),
    crds: crds as never[],
    mutatingWebhooks: of('MutatingWebhookConfiguration'),
    validatingWebhooks: of('ValidatingWebhookConfiguration'),
    serviceAccounts: of('ServiceAccount'),
    clusterRoles: of('ClusterRole'),
    clusterRoleBindings: of('ClusterRoleBinding'),
    now: NOW,
  };
}

describe('a filled simulated control plane', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });
  const fill = (yaml: string): string =>
    fillPlaceholders(yaml, {
      trustAnchorsPEM: pki.anchor.pem,
      trustDomain: 'cluster.local',
      issuerCertPEM: pki.issuer.pem,
      issuerKeyPEM: FAKE_KEY,
      webhookCaPEM: [pki.injector.pem, pki.spValidator.pem, pki.policyValidator.pem].join('\n'),
      proxyInjectorCertPEM: pki.injector.pem,
      proxyInjectorKeyPEM: FAKE_KEY,
      spValidatorCertPEM: pki.spValidator.pem,
      spValidatorKeyPEM: FAKE_KEY,
      policyValidatorCertPEM: pki.policyValidator.pem,
      policyValidatorKeyPEM: FAKE_KEY,
    });

  it('exposes anchors, a chained issuer and the three webhook certificates', async () => {
    const yaml = fill(renderSimulatedRelease('enterprise-2.20.0', 'default').controlPlane);
    const inventory = await certificateInventory(
      snapshotOf(parseBundleDocuments(yaml).objects as KubeObject[]),
    );
    assert.deepEqual(
      inventory.map((c) => [c.role, c.name]),
      [
        ['trust-anchor', 'root.linkerd.cluster.local'],
        ['issuer', 'identity.linkerd.cluster.local'],
        ['webhook', 'proxy-injector'],
        ['webhook', 'sp-validator'],
        ['webhook', 'policy-validator'],
      ],
    );
    assert.equal(inventory[1]!.chainsToAnchors, true);
  });

  it('passes every `linkerd check` category, HA checks included, once its Deployments run', async () => {
    const release = renderSimulatedRelease('edge-26.6.3', 'ha');
    const objects = parseBundleDocuments(fill(release.controlPlane)).objects as KubeObject[];
    const crds = parseBundleDocuments(release.crds).objects as KubeObject[];
    const results = await runChecks(snapshotOf(objects, crds), { latestKnownVersion: ['edge-26.6.3'] });
    const failed = results.categories.flatMap((c) =>
      c.checks.filter((x) => x.result !== 'success').map((x) => `${c.name}: ${x.description}`),
    );
    assert.deepEqual(failed, []);
    assert.ok(results.categories.some((c) => c.name === 'linkerd-ha-checks'));
    assert.equal(results.success, true);
  });
});
