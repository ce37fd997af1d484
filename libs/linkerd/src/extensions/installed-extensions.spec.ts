import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { installedExtensions } from './installed-extensions';

import type { V1Deployment, V1Namespace } from '@kubernetes/client-node';

const ns = (name: string, ext?: string): V1Namespace => ({
  metadata: { name, labels: ext ? { 'linkerd.io/extension': ext } : {} },
});
const deploy = (namespace: string, image: string, version?: string): V1Deployment => ({
  metadata: { namespace, name: 'x', labels: version ? { 'app.kubernetes.io/version': version } : {} },
  spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image }] } } },
});

describe('installed extensions', () => {
  it('lists labelled namespaces with the version their Deployments carry', () => {
    const found = installedExtensions({
      namespaces: [ns('shop'), ns('linkerd-viz', 'viz'), ns('linkerd-jaeger', 'jaeger')],
      deployments: [
        deploy('linkerd-viz', 'cr.l5d.io/linkerd/metrics-api:edge-26.8.3', 'edge-26.8.3'),
        deploy('linkerd-viz', 'prom/prometheus:v2.55.1'),
        deploy('linkerd-jaeger', 'cr.l5d.io/linkerd/jaeger-webhook:stable-2.14.10'),
        deploy('shop', 'shop:edge-1'),
      ],
    });
    assert.deepEqual(found, [
      {
        name: 'jaeger',
        namespace: 'linkerd-jaeger',
        version: 'stable-2.14.10',
        prometheusUrl: null,
        links: null,
      },
      { name: 'viz', namespace: 'linkerd-viz', version: 'edge-26.8.3', prometheusUrl: null, links: null },
    ]);
  });

  it('gives a null version when no Deployment says one', () => {
    assert.deepEqual(installedExtensions({ namespaces: [ns('linkerd-viz', 'viz')], deployments: [] }), [
      { name: 'viz', namespace: 'linkerd-viz', version: null, prometheusUrl: null, links: null },
    ]);
  });

  it("reads viz's external Prometheus from the namespace annotation, and lists multicluster's Links", () => {
    const viz = ns('linkerd-viz', 'viz');
    viz.metadata!.annotations = { 'viz.linkerd.io/external-prometheus': 'http://prom.monitoring:9090' };
    const found = installedExtensions(
      { namespaces: [viz, ns('linkerd-multicluster', 'multicluster')], deployments: [] },
      ['linkerd-multicluster/west', 'linkerd-multicluster/east'],
    );
    assert.deepEqual(
      found.map((e) => [e.name, e.prometheusUrl, e.links]),
      [
        ['multicluster', null, ['linkerd-multicluster/east', 'linkerd-multicluster/west']],
        ['viz', 'http://prom.monitoring:9090', null],
      ],
    );
  });
});
