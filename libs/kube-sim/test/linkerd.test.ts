// Linkerd behaviour: a pre-installed control plane, proxy injection, identity gating and metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import {
  checkIssuer,
  controlPlaneObjects,
  createIssuer,
  createTrustAnchor,
  startSimulator,
  validity,
  type ClusterHandle,
  type KubeObject,
  type Simulator,
} from '../src';
import { createWebhookCert } from '../src/linkerd/certs';
import { call, deployment, eventually, smallCluster } from './helpers';

type Pod = KubeObject & {
  spec: {
    containers: Array<{ name: string; image: string; env?: Array<{ name: string; value?: string }> }>;
    initContainers?: Array<{
      name: string;
      restartPolicy?: string;
      image: string;
      env?: Array<{ name: string; value?: string }>;
    }>;
  };
  status?: { conditions?: Array<{ type: string; status: string }> };
};

const emojivoto = (inject?: 'enabled') => ({
  name: 'emojivoto',
  ...(inject ? { inject } : {}),
  workloads: [{ name: 'web' }, { name: 'emoji' }, { name: 'vote-bot', service: false }],
});

describe('Linkerd model', () => {
  let sim: Simulator;
  let mesh: ClusterHandle;

  const pods = async (h: ClusterHandle, ns: string, selector: string): Promise<Pod[]> =>
    (
      await call(sim, h, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`)
    ).json<{ items: Pod[] }>().items;
  const ready = (p: Pod): boolean =>
    !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
  const readyPods = (h: ClusterHandle, ns: string, selector: string, n: number): Promise<Pod[]> =>
    eventually(
      async () => {
        const list = (await pods(h, ns, selector)).filter(ready);
        return list.length === n ? list : undefined;
      },
      10_000,
      `${n} ready pods for ${selector}`,
    );

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('mesh', {
            linkerd: { version: 'edge-26.6.3', ha: false },
            namespaces: [emojivoto('enabled'), { name: 'plain', workloads: [{ name: 'client' }] }],
            traffic: [
              { from: 'emojivoto/vote-bot', to: 'emojivoto/web', rps: 10, connections: 2 },
              { from: 'emojivoto/web', to: 'emojivoto/emoji', rps: 20, connections: 3 },
              { from: 'plain/client', to: 'emojivoto/web', rps: 5, connections: 1 },
            ],
          }),
          smallCluster('old', {
            linkerd: { version: 'enterprise-2.19.4' },
            namespaces: [emojivoto('enabled')],
          }),
          smallCluster('bare', { namespaces: [emojivoto('enabled')] }),
        ],
      },
    });
    mesh = sim.cluster('mesh');
  });
  after(() => sim.close());

  it('pre-installs the control plane objects a real install creates', async () => {
    const must = [
      '/api/v1/namespaces/linkerd',
      '/apis/apps/v1/namespaces/linkerd/deployments/linkerd-destination',
      '/apis/apps/v1/namespaces/linkerd/deployments/linkerd-identity',
      '/apis/apps/v1/namespaces/linkerd/deployments/linkerd-proxy-injector',
      '/api/v1/namespaces/linkerd/configmaps/linkerd-config',
      '/api/v1/namespaces/linkerd/configmaps/linkerd-identity-trust-roots',
      '/api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer',
      '/api/v1/namespaces/linkerd/secrets/linkerd-proxy-injector-k8s-tls',
      '/api/v1/namespaces/linkerd/services/linkerd-dst-headless',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config',
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/linkerd-sp-validator-webhook-config',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/linkerd-linkerd-identity',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servers.policy.linkerd.io',
      '/apis/policy.linkerd.io/v1beta3/namespaces/default/servers',
    ];
    for (const path of must) assert.equal((await call(sim, mesh, 'GET', path)).status, 200, path);
    const config = (
      await call(sim, mesh, 'GET', '/api/v1/namespaces/linkerd/configmaps/linkerd-config')
    ).json<{ data: { values: string } }>();
    const values = parse(config.data.values) as {
      linkerdVersion: string;
      highAvailability: boolean;
      identityTrustAnchorsPEM: string;
      identity: { issuer: { tls: { keyPEM?: string } } };
    };
    assert.equal(values.linkerdVersion, 'edge-26.6.3');
    assert.equal(values.highAvailability, false);
    assert.equal(values.identity.issuer.tls.keyPEM, undefined, 'private keys never land in linkerd-config');
    const roots = (
      await call(sim, mesh, 'GET', '/api/v1/namespaces/linkerd/configmaps/linkerd-identity-trust-roots')
    ).json<{ data: Record<string, string> }>().data['ca-bundle.crt']!;
    const issuer = (
      await call(sim, mesh, 'GET', '/api/v1/namespaces/linkerd/secrets/linkerd-identity-issuer')
    ).json<{ data: Record<string, string> }>().data;
    assert.equal(await checkIssuer(Buffer.from(issuer['crt.pem']!, 'base64').toString(), roots), undefined);
    const identity = await pods(mesh, 'linkerd', 'linkerd.io/control-plane-component=identity');
    assert.ok(identity.every((p) => p.metadata.labels?.['linkerd.io/control-plane-ns'] === 'linkerd'));
  });

  it('injects linkerd-proxy as a native sidecar on 2.20 with the injector metadata', async () => {
    const [web] = await readyPods(mesh, 'emojivoto', 'app=web', 1);
    const proxy = web!.spec.initContainers?.find((x) => x.name === 'linkerd-proxy');
    assert.ok(proxy, 'linkerd-proxy init container');
    assert.equal(proxy.restartPolicy, 'Always');
    assert.equal(proxy.image, 'cr.l5d.io/linkerd/proxy:edge-26.6.3');
    assert.ok(web!.spec.initContainers?.some((x) => x.name === 'linkerd-init'));
    assert.ok(!web!.spec.containers.some((x) => x.name === 'linkerd-proxy'));
    assert.equal(web!.metadata.labels?.['linkerd.io/control-plane-ns'], 'linkerd');
    assert.equal(web!.metadata.labels?.['linkerd.io/proxy-deployment'], 'web');
    assert.equal(web!.metadata.annotations?.['linkerd.io/proxy-version'], 'edge-26.6.3');
    const anchors = proxy.env?.find((e) => e.name === 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS')?.value ?? '';
    assert.match(anchors, /BEGIN CERTIFICATE/);
    assert.equal(
      web!.metadata.annotations?.['linkerd.io/trust-root-sha256'],
      createHash('sha256').update(anchors).digest('hex'),
    );
  });

  it('injects a regular linkerd-proxy container before 2.20', async () => {
    const [web] = await readyPods(sim.cluster('old'), 'emojivoto', 'app=web', 1);
    assert.equal(web!.spec.containers[0]!.name, 'linkerd-proxy');
    assert.ok(!web!.spec.initContainers?.some((x) => x.name === 'linkerd-proxy'));
  });

  it('leaves unannotated namespaces, opted-out pods and mesh-less clusters alone', async () => {
    const [client] = await readyPods(mesh, 'plain', 'app=client', 1);
    assert.equal(client!.metadata.labels?.['linkerd.io/control-plane-ns'], undefined);
    await call(sim, mesh, 'POST', '/apis/apps/v1/namespaces/emojivoto/deployments', {
      ...deployment('optout', 'emojivoto', 1),
      spec: {
        ...deployment('optout', 'emojivoto', 1).spec,
        template: {
          metadata: { labels: { app: 'optout' }, annotations: { 'linkerd.io/inject': 'disabled' } },
          spec: { containers: [{ name: 'optout', image: 'nginx' }] },
        },
      },
    });
    const [optout] = await readyPods(mesh, 'emojivoto', 'app=optout', 1);
    assert.equal(optout!.spec.initContainers, undefined);
    const [bare] = await readyPods(sim.cluster('bare'), 'emojivoto', 'app=web', 1);
    assert.equal(bare!.spec.initContainers, undefined);
  });

  it('starts injecting once a control plane is installed through the API, and only for new pods', async () => {
    const bare = sim.cluster('bare');
    const [before] = await readyPods(bare, 'emojivoto', 'app=emoji', 1);
    const anchor = await createTrustAnchor(validity(365));
    const issuer = await createIssuer(anchor, validity(30));
    const hook = await createWebhookCert('linkerd-proxy-injector.linkerd.svc', validity(365));
    const objects = controlPlaneObjects({
      version: 'edge-26.8.3',
      namespace: 'linkerd',
      ha: false,
      nativeSidecar: true,
      trustAnchorsPem: anchor.certPem,
      issuerCertPem: issuer.certPem,
      issuerKeyPem: issuer.keyPem,
      webhookCerts: { 'proxy-injector': hook, 'sp-validator': hook, 'policy-validator': hook },
    });
    for (const o of objects) {
      const res = await call(
        sim,
        bare,
        'PATCH',
        `${pathFor(o)}?fieldManager=meshfleet-agent&force=true`,
        JSON.stringify(o),
        { 'Content-Type': 'application/apply-patch+yaml' },
      );
      assert.ok(res.status === 200 || res.status === 201, `${o.kind} ${o.metadata.name}: ${res.text}`);
    }
    await eventually(() => bare.linkerd.injectionConfig(), 10_000, 'injector available');
    const still = (await pods(bare, 'emojivoto', 'app=emoji'))[0]!;
    assert.equal(still.metadata.uid, before!.metadata.uid);
    assert.equal(still.spec.initContainers, undefined, 'existing pods keep running without a proxy');
    await call(
      sim,
      bare,
      'PATCH',
      '/apis/apps/v1/namespaces/emojivoto/deployments/emoji',
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    const restarted = await eventually(
      async () => {
        const list = (await pods(bare, 'emojivoto', 'app=emoji')).filter(ready);
        return list.length === 1 && list[0]!.metadata.uid !== before!.metadata.uid ? list[0] : undefined;
      },
      10_000,
      'restarted emoji pod',
    );
    assert.equal(restarted!.metadata.annotations?.['linkerd.io/proxy-version'], 'edge-26.8.3');
  });

  it('serves proxy metrics with TLS labels from the traffic graph', async () => {
    const [web] = await readyPods(mesh, 'emojivoto', 'app=web', 1);
    await new Promise((r) => setTimeout(r, 300));
    const res = await call(
      sim,
      mesh,
      'GET',
      `/api/v1/namespaces/emojivoto/pods/${web!.metadata.name}:4191/proxy/metrics`,
    );
    assert.equal(res.status, 200);
    const text = res.text;
    assert.match(
      text,
      /request_total\{direction="outbound",authority="emoji\.emojivoto\.svc\.cluster\.local:8080",[^}]*tls="true",server_id="emoji\.emojivoto\.serviceaccount\.identity\.linkerd\.cluster\.local"\}/,
    );
    assert.match(
      text,
      /tcp_open_connections\{direction="inbound",[^}]*tls="true",client_id="vote-bot\.emojivoto\.serviceaccount\.identity\.linkerd\.cluster\.local"[^}]*\} 2/,
    );
    assert.match(
      text,
      /request_total\{direction="inbound",[^}]*tls="no_identity",no_tls_reason="no_tls_from_remote"[^}]*\}/,
    );
    assert.match(text, /authority="[\d.]+:4191",[^}]*no_tls_reason="no_tls_from_remote"/);
    const expiry = Number(/identity_cert_expiration_timestamp_seconds (\d+)/.exec(text)?.[1]);
    assert.ok(expiry > Date.now() / 1000 + 3600);
    assert.match(text, /proxy_build_info\{version="edge-26\.6\.3"/);
    const [client] = await readyPods(mesh, 'plain', 'app=client', 1);
    const refused = await call(
      sim,
      mesh,
      'GET',
      `/api/v1/namespaces/plain/pods/${client!.metadata.name}:4191/proxy/metrics`,
    );
    assert.equal(refused.status, 503);
  });

  it('serves container logs', async () => {
    const [web] = await readyPods(mesh, 'emojivoto', 'app=web', 1);
    const log = await call(
      sim,
      mesh,
      'GET',
      `/api/v1/namespaces/emojivoto/pods/${web!.metadata.name}/log?container=linkerd-proxy&tailLines=2`,
    );
    assert.equal(log.status, 200);
    assert.equal(log.text.trim().split('\n').length, 2);
    const all = await call(
      sim,
      mesh,
      'GET',
      `/api/v1/namespaces/emojivoto/pods/${web!.metadata.name}/log?container=linkerd-proxy`,
    );
    assert.match(all.text, /release edge-26\.6\.3/);
  });

  it('stops new meshed pods from becoming ready while the issuer is expired', async () => {
    await mesh.faults.expireIssuer();
    assert.equal(mesh.linkerd.identityProblem(), 'expired');
    const [existing] = await readyPods(mesh, 'emojivoto', 'app=emoji', 1);
    await call(
      sim,
      mesh,
      'POST',
      '/apis/apps/v1/namespaces/emojivoto/deployments',
      deployment('fresh', 'emojivoto', 1),
    );
    await call(
      sim,
      mesh,
      'POST',
      '/apis/apps/v1/namespaces/plain/deployments',
      deployment('fresh', 'plain', 1),
    );
    await readyPods(mesh, 'plain', 'app=fresh', 1);
    const [fresh] = await pods(mesh, 'emojivoto', 'app=fresh');
    assert.ok(fresh && !ready(fresh), 'meshed pod must not be ready');
    assert.ok(
      ready(
        (await pods(mesh, 'emojivoto', 'app=emoji')).find((p) => p.metadata.uid === existing!.metadata.uid)!,
      ),
      'running proxies keep their identity',
    );
    const events = (await call(sim, mesh, 'GET', '/api/v1/namespaces/linkerd/events')).json<{
      items: Array<{ reason: string }>;
    }>();
    assert.ok(events.items.some((e) => e.reason === 'IssuerValidationFailed'));
    await mesh.linkerd.rotateIssuer();
    await readyPods(mesh, 'emojivoto', 'app=fresh', 1);
  });
});

function pathFor(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const plural: Record<string, string> = {
    Namespace: 'namespaces',
    ServiceAccount: 'serviceaccounts',
    ClusterRole: 'clusterroles',
    ClusterRoleBinding: 'clusterrolebindings',
    ConfigMap: 'configmaps',
    Secret: 'secrets',
    Service: 'services',
    Deployment: 'deployments',
    CronJob: 'cronjobs',
    MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
    ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
    PodDisruptionBudget: 'poddisruptionbudgets',
  };
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${plural[o.kind]}/${o.metadata.name}`;
}
