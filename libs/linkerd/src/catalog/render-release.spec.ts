import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseLinkerdConfig } from '../cluster/linkerd-config';
import { placeholdersIn } from './placeholders';
import { requiredGatewayApiCrds } from './render/crd-inventory';
import {
  allSimulatedReleaseBundles,
  renderSimulatedRelease,
  simulatedReleaseBundles,
} from './render-release';
import { SIMULATED_RELEASES } from './simulated-releases';
import { parseBundleDocuments, type KubeObject } from './yaml-bundle';

const objects = (yaml: string): KubeObject[] => parseBundleDocuments(yaml).objects as KubeObject[];
const find = (list: KubeObject[], kind: string, name: string): KubeObject => {
  const o = list.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} missing`);
  return o;
};
const names = (list: KubeObject[], kind: string): string[] =>
  list
    .filter((o) => o.kind === kind)
    .map((o) => o.metadata.name)
    .sort();

describe('SIMULATED_RELEASES', () => {
  it('lists edge and enterprise releases of 2.18, 2.19 and 2.20, all marked simulated', () => {
    assert.deepEqual([...new Set(SIMULATED_RELEASES.map((r) => r.major))], [18, 19, 20]);
    for (const major of [18, 19, 20]) {
      const channels = SIMULATED_RELEASES.filter((r) => r.major === major).map((r) => r.channel);
      assert.ok(channels.includes('edge') && channels.includes('enterprise'), `2.${major}`);
    }
    assert.ok(SIMULATED_RELEASES.every((r) => r.simulated));
  });

  it('carries the supported Kubernetes range of each major', () => {
    const range = (v: string) => {
      const r = SIMULATED_RELEASES.find((x) => x.version === v)!;
      return [r.kubernetesMin, r.kubernetesMax];
    };
    assert.deepEqual(range('edge-25.4.4'), ['1.23', '1.32']);
    assert.deepEqual(range('enterprise-2.19.0'), ['1.23', '1.35']);
    assert.deepEqual(range('edge-26.6.3'), ['1.31', '1.35']);
  });
});

describe('renderSimulatedRelease: CRDs bundle', () => {
  it('holds only CRDs with the policy, profile and workload groups', () => {
    const crds = objects(renderSimulatedRelease('edge-26.6.3', 'default').crds);
    assert.ok(
      crds.every((o) => o.kind === 'CustomResourceDefinition' && o.apiVersion === 'apiextensions.k8s.io/v1'),
    );
    for (const name of [
      'servers.policy.linkerd.io',
      'authorizationpolicies.policy.linkerd.io',
      'httproutes.policy.linkerd.io',
      'egressnetworks.policy.linkerd.io',
      'serviceprofiles.linkerd.io',
      'externalworkloads.workload.linkerd.io',
    ]) {
      find(crds, 'CustomResourceDefinition', name);
    }
  });

  it('bundles the Gateway API CRDs in 2.18 only', () => {
    const gateway = (v: string) =>
      names(objects(renderSimulatedRelease(v, 'default').crds), 'CustomResourceDefinition').filter((n) =>
        n.endsWith('.gateway.networking.k8s.io'),
      );
    assert.deepEqual(gateway('edge-25.4.4'), [
      'grpcroutes.gateway.networking.k8s.io',
      'httproutes.gateway.networking.k8s.io',
      'tcproutes.gateway.networking.k8s.io',
      'tlsroutes.gateway.networking.k8s.io',
    ]);
    assert.deepEqual(gateway('enterprise-2.19.0'), []);
    assert.deepEqual(gateway('edge-26.8.3'), []);
  });

  it('names the Gateway API CRDs a cluster must provide where the bundle no longer ships them', () => {
    assert.deepEqual(requiredGatewayApiCrds(18), []);
    assert.deepEqual(requiredGatewayApiCrds(20), [
      'grpcroutes.gateway.networking.k8s.io',
      'httproutes.gateway.networking.k8s.io',
    ]);
  });

  it('gives every CRD exactly one storage version and a permissive schema', () => {
    for (const crd of objects(renderSimulatedRelease('edge-25.4.4', 'ha').crds)) {
      const spec = crd['spec'] as { versions: Array<Record<string, any>>; scope: string };
      assert.equal(spec.versions.filter((v) => v['storage'] === true).length, 1, crd.metadata.name);
      assert.ok(spec.versions.every((v) => v['served'] === true));
      assert.equal(spec.versions[0]!['schema'].openAPIV3Schema['x-kubernetes-preserve-unknown-fields'], true);
      assert.equal(spec.scope, 'Namespaced');
    }
  });
});

describe('renderSimulatedRelease: control-plane bundle', () => {
  const cp = objects(renderSimulatedRelease('enterprise-2.19.0', 'default').controlPlane);

  it('holds the objects `linkerd install` renders', () => {
    assert.deepEqual(names(cp, 'Deployment'), [
      'linkerd-destination',
      'linkerd-identity',
      'linkerd-proxy-injector',
    ]);
    assert.deepEqual(names(cp, 'Service'), [
      'linkerd-dst',
      'linkerd-dst-headless',
      'linkerd-identity',
      'linkerd-identity-headless',
      'linkerd-policy',
      'linkerd-policy-validator',
      'linkerd-proxy-injector',
      'linkerd-sp-validator',
    ]);
    assert.deepEqual(names(cp, 'ConfigMap'), ['linkerd-config', 'linkerd-identity-trust-roots']);
    assert.deepEqual(names(cp, 'Secret'), [
      'linkerd-identity-issuer',
      'linkerd-policy-validator-k8s-tls',
      'linkerd-proxy-injector-k8s-tls',
      'linkerd-sp-validator-k8s-tls',
    ]);
    assert.deepEqual(names(cp, 'ServiceAccount'), [
      'linkerd-destination',
      'linkerd-heartbeat',
      'linkerd-identity',
      'linkerd-proxy-injector',
    ]);
    assert.deepEqual(names(cp, 'ClusterRole'), [
      'linkerd-heartbeat',
      'linkerd-linkerd-destination',
      'linkerd-linkerd-identity',
      'linkerd-linkerd-proxy-injector',
      'linkerd-policy',
    ]);
    assert.deepEqual(names(cp, 'MutatingWebhookConfiguration'), ['linkerd-proxy-injector-webhook-config']);
    assert.deepEqual(names(cp, 'ValidatingWebhookConfiguration'), [
      'linkerd-policy-validator-webhook-config',
      'linkerd-sp-validator-webhook-config',
    ]);
    assert.deepEqual(names(cp, 'CronJob'), ['linkerd-heartbeat']);
    assert.deepEqual(names(cp, 'PodDisruptionBudget'), []);
  });

  it('creates the linkerd namespace first, with its labels and annotation', () => {
    const ns = cp[0]!;
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.name, 'linkerd');
    assert.equal(ns.metadata.labels?.['linkerd.io/is-control-plane'], 'true');
    assert.equal(ns.metadata.labels?.['config.linkerd.io/admission-webhooks'], 'disabled');
    assert.equal(ns.metadata.annotations?.['linkerd.io/inject'], 'disabled');
  });

  it('labels every object of every release as simulated', () => {
    for (const b of allSimulatedReleaseBundles()) {
      for (const o of [...objects(b.crds.yaml), ...objects(b.controlPlane.yaml)]) {
        assert.equal(
          o.metadata.labels?.['meshfleet.io/simulated-release'],
          'true',
          `${o.kind} ${o.metadata.name}`,
        );
      }
    }
  });

  it('labels components and images with the release version', () => {
    const dst = find(cp, 'Deployment', 'linkerd-destination');
    assert.equal(dst.metadata.labels?.['linkerd.io/control-plane-component'], 'destination');
    assert.equal(dst.metadata.labels?.['linkerd.io/control-plane-ns'], 'linkerd');
    assert.equal(dst.metadata.annotations?.['linkerd.io/created-by'], 'linkerd/cli enterprise-2.19.0');
    const pod = (dst['spec'] as any).template;
    assert.equal(pod.metadata.annotations['linkerd.io/proxy-version'], 'enterprise-2.19.0');
    const images = pod.spec.containers.map((c: any) => `${c.name}=${c.image}`);
    assert.deepEqual(images, [
      'linkerd-proxy=cr.l5d.io/linkerd/proxy:enterprise-2.19.0',
      'destination=cr.l5d.io/linkerd/controller:enterprise-2.19.0',
      'sp-validator=cr.l5d.io/linkerd/controller:enterprise-2.19.0',
      'policy=cr.l5d.io/linkerd/policy-controller:enterprise-2.19.0',
    ]);
  });

  it('writes linkerd-config values that the health checks read back', () => {
    const config = parseLinkerdConfig(find(cp, 'ConfigMap', 'linkerd-config') as any);
    assert.ok(config.ok);
    assert.equal(config.values.linkerdVersion, 'enterprise-2.19.0');
    assert.equal(config.values.proxyVersion, 'enterprise-2.19.0');
    assert.equal(config.values.controllerReplicas, 1);
    assert.equal(config.values.highAvailability, false);
    assert.equal(config.values.issuerScheme, 'linkerd.io/tls');
  });

  it('injects the 2.20 proxy as a native sidecar', () => {
    const cp20 = objects(renderSimulatedRelease('edge-26.6.3', 'default').controlPlane);
    const spec = (find(cp20, 'Deployment', 'linkerd-identity')['spec'] as any).template.spec;
    assert.deepEqual(
      spec.initContainers.map((c: any) => [c.name, c.restartPolicy ?? null]),
      [
        ['linkerd-init', null],
        ['linkerd-proxy', 'Always'],
      ],
    );
    assert.ok(!spec.containers.some((c: any) => c.name === 'linkerd-proxy'));
  });
});

describe('renderSimulatedRelease: high availability', () => {
  const cp = objects(renderSimulatedRelease('edge-26.8.3', 'ha').controlPlane);

  it('runs three replicas with anti-affinity behind disruption budgets', () => {
    for (const name of ['linkerd-identity', 'linkerd-destination', 'linkerd-proxy-injector']) {
      const spec = find(cp, 'Deployment', name)['spec'] as any;
      assert.equal(spec.replicas, 3, name);
      assert.ok(
        spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
        name,
      );
    }
    assert.deepEqual(names(cp, 'PodDisruptionBudget'), [
      'linkerd-dst',
      'linkerd-identity',
      'linkerd-proxy-injector',
    ]);
  });

  it('marks the values as HA and fails webhooks closed', () => {
    const values = parse((find(cp, 'ConfigMap', 'linkerd-config')['data'] as any).values);
    assert.equal(values.highAvailability, true);
    assert.equal(values.controllerReplicas, 3);
    assert.equal(values.webhookFailurePolicy, 'Fail');
    const mwc = find(cp, 'MutatingWebhookConfiguration', 'linkerd-proxy-injector-webhook-config') as any;
    assert.equal(mwc.webhooks[0].failurePolicy, 'Fail');
  });
});

describe('simulated bundles carry no identity material', () => {
  it('has placeholders instead of PEM blocks or keys in every release and variant', () => {
    for (const b of allSimulatedReleaseBundles()) {
      for (const yaml of [b.crds.yaml, b.controlPlane.yaml]) {
        assert.doesNotMatch(yaml, /-----BEGIN|PRIVATE KEY|LS0tLS1CRUdJTi/, b.release.version);
      }
      assert.deepEqual(placeholdersIn(b.crds.yaml), []);
      assert.ok(b.placeholders.includes('issuerKeyPEM') && b.placeholders.includes('trustAnchorsPEM'));
    }
  });

  it('renders deterministically, so digests are stable', () => {
    const a = simulatedReleaseBundles('edge-25.10.7', 'ha');
    const b = simulatedReleaseBundles('edge-25.10.7', 'ha');
    assert.equal(a.controlPlane.digest, b.controlPlane.digest);
    assert.notEqual(
      a.controlPlane.digest,
      simulatedReleaseBundles('edge-25.10.7', 'default').controlPlane.digest,
    );
    assert.match(a.crds.digest, /^[0-9a-f]{64}$/);
  });

  it('refuses a version outside the simulated catalog', () => {
    assert.throws(() => renderSimulatedRelease('edge-24.11.8', 'default'), /edge-24\.11\.8 was not found/);
  });
});
