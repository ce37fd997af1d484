// The kubelet's volume setup through @kubernetes/client-node: a pod that mounts a Secret or
// ConfigMap that is not there (or lacks a listed key) stays ContainerCreating with FailedMount
// events until the object appears, as on a real node; optional sources never block.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { deployment, eventually, smallCluster } from './helpers';

const pod = (name: string, volumes: k8s.V1Volume[]): k8s.V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/etc/${v.name}` })),
      },
    ],
    volumes,
  },
});

describe('secret and configMap volumes', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let core: k8s.CoreV1Api;

  const ready = (name: string) =>
    eventually(
      async () => {
        const p = await core.readNamespacedPod({ namespace: 'default', name });
        return p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? p : undefined;
      },
      10_000,
      `pod ${name} Ready`,
    );
  const failedMounts = async (name: string): Promise<string[]> =>
    (
      await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.name=${name}`,
      })
    ).items
      .filter((e) => e.reason === 'FailedMount' && e.type === 'Warning')
      .map((e) => e.message ?? '');
  /** Long enough for an unblocked pod (30 ms ready delay) to have turned Ready several times. */
  const settle = () => new Promise((r) => setTimeout(r, 400));

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [smallCluster('volumes')] } });
    c = sim.cluster('volumes');
    const kc = new k8s.KubeConfig();
    kc.loadFromString(c.kubeconfig());
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(() => sim.close());

  it('keeps a pod ContainerCreating with FailedMount until its Secret exists, then starts it', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: pod('needs-secret', [{ name: 'creds', secret: { secretName: 'app-creds' } }]),
    });
    await settle();
    const waiting = await core.readNamespacedPod({ namespace: 'default', name: 'needs-secret' });
    assert.equal(waiting.status?.phase, 'Pending');
    assert.equal(waiting.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
    assert.ok(!waiting.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
    assert.deepEqual(await failedMounts('needs-secret'), [
      'MountVolume.SetUp failed for volume "creds" : secret "app-creds" not found',
    ]);

    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'app-creds' }, stringData: { token: 's3cr3t' } },
    });
    const started = await ready('needs-secret');
    assert.ok(started.status?.containerStatuses?.[0]?.state?.running);
  });

  it('does not block on optional sources, and publishes kube-root-ca.crt for projected ones', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: pod('optional-only', [
        { name: 'maybe-secret', secret: { secretName: 'nowhere', optional: true } },
        { name: 'maybe-config', configMap: { name: 'nowhere', optional: true } },
        {
          name: 'maybe-projected',
          projected: {
            sources: [
              { secret: { name: 'nowhere', optional: true } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { serviceAccountToken: { path: 'token' } },
            ],
          },
        },
      ]),
    });
    await ready('optional-only');
    assert.deepEqual(await failedMounts('optional-only'), []);
    // The projected source above reads what root-ca-cert-publisher puts in every namespace.
    const rootCa = await core.readNamespacedConfigMap({ namespace: 'default', name: 'kube-root-ca.crt' });
    assert.equal(rootCa.data?.['ca.crt'], sim.caCertificate);
  });

  it('fails the mount for a key listed in items that the object lacks, in projected volumes too', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'app-config' }, data: { present: 'yes' } },
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: pod('missing-key', [
        {
          name: 'config',
          configMap: { name: 'app-config', items: [{ key: 'settings.yaml', path: 'settings.yaml' }] },
        },
        {
          name: 'bundle',
          projected: {
            sources: [
              { secret: { name: 'bundle-secret', items: [{ key: 'tls.crt', path: 'tls.crt' }] } },
              { configMap: { name: 'absent-config' } },
            ],
          },
        },
      ]),
    });
    await settle();
    assert.deepEqual((await failedMounts('missing-key')).sort(), [
      'MountVolume.SetUp failed for volume "bundle" : [secret "bundle-secret" not found, configmap "absent-config" not found]',
      'MountVolume.SetUp failed for volume "config" : configmap references non-existent config key: settings.yaml',
    ]);
    await core.createNamespacedSecret({
      namespace: 'default',
      body: { metadata: { name: 'bundle-secret' }, data: { 'tls.key': 'eA==' } },
    });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'absent-config' } },
    });
    const cm = await core.readNamespacedConfigMap({ namespace: 'default', name: 'app-config' });
    await core.replaceNamespacedConfigMap({
      namespace: 'default',
      name: 'app-config',
      body: { ...cm, data: { ...cm.data, 'settings.yaml': 'a: 1' } },
    });
    await settle();
    const p = await core.readNamespacedPod({ namespace: 'default', name: 'missing-key' });
    assert.equal(p.status?.phase, 'Pending', 'tls.crt is still missing from bundle-secret');
    assert.ok(
      (await failedMounts('missing-key')).includes(
        'MountVolume.SetUp failed for volume "bundle" : references non-existent secret key: tls.crt',
      ),
    );
    const secret = await core.readNamespacedSecret({ namespace: 'default', name: 'bundle-secret' });
    await core.replaceNamespacedSecret({
      namespace: 'default',
      name: 'bundle-secret',
      body: { ...secret, data: { ...secret.data, 'tls.crt': 'eQ==' } },
    });
    await ready('missing-key');
  });

  it('keeps a Deployment unavailable while its pods wait for a Secret', async () => {
    const apps = sim.cluster('volumes');
    const kc = new k8s.KubeConfig();
    kc.loadFromString(apps.kubeconfig());
    const appsApi = kc.makeApiClient(k8s.AppsV1Api);
    const d = deployment('webhook', 'default', 2) as k8s.V1Deployment;
    d.spec!.template.spec!.volumes = [{ name: 'tls', secret: { secretName: 'webhook-k8s-tls' } }];
    await appsApi.createNamespacedDeployment({ namespace: 'default', body: d });
    await settle();
    const stuck = await appsApi.readNamespacedDeployment({ namespace: 'default', name: 'webhook' });
    assert.equal(stuck.status?.availableReplicas ?? 0, 0);
    assert.equal(stuck.status?.conditions?.find((x) => x.type === 'Available')?.status, 'False');
    await core.createNamespacedSecret({
      namespace: 'default',
      body: {
        metadata: { name: 'webhook-k8s-tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': '', 'tls.key': '' },
      },
    });
    await eventually(
      async () =>
        (await appsApi.readNamespacedDeployment({ namespace: 'default', name: 'webhook' })).status
          ?.availableReplicas === 2,
      10_000,
      'deployment available',
    );
  });
});
