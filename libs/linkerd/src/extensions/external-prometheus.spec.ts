import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderViz } from '../catalog/extensions/render-viz';
import type { KubeObject } from '../catalog/yaml-bundle';
import { prometheusUrlProblem, withExternalPrometheus } from './external-prometheus';

const NS = 'linkerd-viz';
const names = (objects: readonly KubeObject[]) => objects.map((o) => `${o.kind} ${o.metadata.name}`);
const render = (): KubeObject[] =>
  renderViz({
    extension: 'viz',
    namespace: NS,
    version: 'edge-26.8.3',
    replicas: 1,
    createdBy: 'linkerd/cli edge-26.8.3',
    commonLabels: { 'linkerd.io/extension': 'viz' },
  } as Parameters<typeof renderViz>[0]);

describe('viz with an external Prometheus', () => {
  it('leaves out what the chart renders only with prometheus.enabled, and keeps the policies', () => {
    const bundled = render();
    const out = withExternalPrometheus(bundled, 'http://prom.monitoring.svc:9090', NS);
    const dropped = names(bundled).filter((n) => !names(out).includes(n));
    assert.deepEqual(dropped.sort(), [
      'ClusterRole linkerd-linkerd-viz-prometheus',
      'ClusterRoleBinding linkerd-linkerd-viz-prometheus',
      'ConfigMap prometheus-config',
      'Deployment prometheus',
      'Service prometheus',
      'ServiceAccount prometheus',
    ]);
    assert.ok(names(out).includes('Server prometheus-admin'), 'Servers and policies stay, as in the chart');
  });

  it("points the metrics-api at the URL, replacing the bundled one's flag, and annotates the namespace", () => {
    const withFlag = render().map((o) =>
      o.kind === 'Deployment' && o.metadata.name === 'metrics-api'
        ? (JSON.parse(
            JSON.stringify(o).replace(
              '"name":"metrics-api","image"',
              '"name":"metrics-api","args":["-log-level=info","-prometheus-url=http://prometheus.linkerd-viz.svc.cluster.local:9090"],"image"',
            ),
          ) as KubeObject)
        : o,
    );
    const out = withExternalPrometheus(withFlag, 'https://prom.example.invalid/x', NS);
    const api = out.find((o) => o.kind === 'Deployment' && o.metadata.name === 'metrics-api') as any;
    assert.deepEqual(api.spec.template.spec.containers[0].args, [
      '-log-level=info',
      '-prometheus-url=https://prom.example.invalid/x',
    ]);
    const ns = out.find((o) => o.kind === 'Namespace')!;
    assert.equal(
      ns.metadata.annotations?.['viz.linkerd.io/external-prometheus'],
      'https://prom.example.invalid/x',
    );
    // The input is not changed.
    assert.equal(withFlag.find((o) => o.kind === 'Namespace')!.metadata.annotations, undefined);
  });

  it('drops the ServiceProfile of the bundled Prometheus, as the chart does', () => {
    const sp: KubeObject = {
      apiVersion: 'linkerd.io/v1alpha2',
      kind: 'ServiceProfile',
      metadata: { name: `prometheus.${NS}.svc.cluster.local`, namespace: NS },
    };
    const web: KubeObject = { ...sp, metadata: { name: `web.${NS}.svc.cluster.local`, namespace: NS } };
    assert.deepEqual(names(withExternalPrometheus([sp, web], 'http://p:9090', NS)), [
      `ServiceProfile web.${NS}.svc.cluster.local`,
    ]);
  });

  it('takes http(s) URLs with a host and no credentials', () => {
    assert.equal(prometheusUrlProblem('http://prometheus.monitoring.svc.cluster.local:9090'), null);
    assert.equal(prometheusUrlProblem('https://prom.example.invalid/prefix'), null);
    assert.match(prometheusUrlProblem('ftp://prom.example.invalid')!, /not http or https/);
    assert.match(prometheusUrlProblem('prometheus:9090')!, /not http or https/);
    assert.match(prometheusUrlProblem('not a url')!, /not a URL/);
    assert.match(prometheusUrlProblem('https://u:p@prom.example.invalid')!, /credentials/);
    assert.match(prometheusUrlProblem(`https://prom.example.invalid/${'a'.repeat(2048)}`)!, /2048/);
  });
});
