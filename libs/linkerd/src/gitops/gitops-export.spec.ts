import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { helmRender, FAKE_IDENTITY } from '../catalog/testing/real-render.fixture';
import { exportGitopsTree, type GitopsFormat } from './export-tree';
import { CONTROL_PLANE_IGNORES } from './drift-ignores';
import { heartbeatScheduleFor, type GitopsCluster } from './gitops-values';
import { crdSchemaFor, FLUX_HELM_RELEASE, schemaErrors as validate } from './testing/crd-schemas.fixture';

const east: GitopsCluster = {
  id: '0b6b4f43-5a4e-4d5e-9a7c-0c6f1c1f0e11',
  name: 'east',
  version: 'edge-26.8.3',
  ha: true,
  trustDomain: 'prod.example.org',
  trustAnchorsPem: FAKE_IDENTITY.trustAnchorsPEM,
  controlPlaneNamespace: 'linkerd',
  extensions: ['viz'],
};
const west: GitopsCluster = {
  ...east,
  id: '7e0d2a55-1c34-4c1e-8d3e-5d7f1f9b2a22',
  name: 'west',
  ha: false,
  extensions: [],
};
const bel: GitopsCluster = {
  ...west,
  id: '9a1b3c5d-0000-4000-8000-000000000033',
  name: 'bel',
  version: 'enterprise-2.19.1',
};

const docs = (format: GitopsFormat, clusters = [east, west, bel]) =>
  exportGitopsTree(clusters, format).files.flatMap((f) =>
    f.path.endsWith('.yaml')
      ? parseAllDocuments(f.content).map((d) => ({ path: f.path, o: d.toJS() as Record<string, any> }))
      : [],
  );

describe('exportGitopsTree', () => {
  for (const format of ['ARGOCD', 'ARGOCD_APPLICATIONSET', 'FLUX'] as const)
    it(`${format}: every Argo CD / Flux object passes its CRD schema`, () => {
      const all = docs(format);
      const checked = all.filter(({ o }) => crdSchemaFor(o.apiVersion, o.kind));
      assert.ok(
        checked.length >= (format === 'ARGOCD_APPLICATIONSET' ? 1 : 7),
        `${format}: ${checked.length}`,
      );
      for (const { path, o } of checked)
        assert.deepEqual(validate(crdSchemaFor(o.apiVersion, o.kind)!, o), [], `${path} ${o.kind}`);
    });

  it('the schema check can fail: a bad driftDetection.mode, no chart, an unknown field', () => {
    const hr = docs('FLUX').find(({ o }) => o.kind === 'HelmRelease')!.o;
    assert.deepEqual(validate(FLUX_HELM_RELEASE, hr), []);
    const bad = structuredClone(hr);
    bad.spec.driftDetection.mode = 'on';
    assert.match(
      validate(FLUX_HELM_RELEASE, bad).join('\n'),
      /driftDetection\/mode must be equal to one of the allowed values/,
    );
    const noChart = structuredClone(hr);
    delete noChart.spec.chart;
    assert.match(validate(FLUX_HELM_RELEASE, noChart).join('\n'), /must match exactly one schema in oneOf/);
    const typo = structuredClone(hr);
    typo.spec.dependOn = [];
    assert.match(
      validate(FLUX_HELM_RELEASE, typo).join('\n'),
      /must NOT have additional properties .*dependOn/,
    );
  });

  it('never contains a private key, whatever the format', () => {
    for (const format of ['ARGOCD', 'ARGOCD_APPLICATIONSET', 'FLUX'] as const)
      for (const f of exportGitopsTree([east, west, bel], format).files) {
        assert.doesNotMatch(f.content, /PRIVATE KEY/, f.path);
        assert.doesNotMatch(f.content, /keyPEM/, f.path);
      }
  });

  it('writes the values Meshfleet installs with: trust domain, anchor bundle, issuer from the in-cluster Secret, HA per cluster', () => {
    const apps = docs('ARGOCD').filter(
      ({ o }) => o.metadata.labels['meshfleet.io/component'] === 'linkerd-control-plane',
    );
    const byName = new Map(apps.map(({ o }) => [o.spec.destination.name, o.spec.source.helm.valuesObject]));
    const e = byName.get('east')!;
    assert.equal(e.identityTrustDomain, 'prod.example.org');
    assert.equal(e.identityTrustAnchorsPEM, FAKE_IDENTITY.trustAnchorsPEM);
    assert.deepEqual(e.identity, { issuer: { scheme: 'kubernetes.io/tls' } });
    assert.equal(e.controllerReplicas, 3);
    assert.equal(e.webhookFailurePolicy, 'Fail');
    assert.equal(byName.get('west')!.controllerReplicas, undefined);
    assert.equal(byName.get('west')!.highAvailability, undefined);
    // The heartbeat is pinned per cluster, so two exports (and two renders) agree.
    assert.match(e.heartbeatSchedule, /^\d{1,2} \d{1,2} \* \* \*$/);
    assert.equal(e.heartbeatSchedule, heartbeatScheduleFor(east.id));
    assert.deepEqual(exportGitopsTree([east], 'FLUX'), exportGitopsTree([east], 'FLUX'));
    assert.equal(byName.get('bel')!.licenseSecret, 'buoyant-license');
  });

  it('orders Linkerd: Argo CD sync waves, ApplicationSet RollingSync steps, Flux dependsOn', () => {
    const waves = docs('ARGOCD', [east]).map(({ o }) => [
      o.metadata.labels['meshfleet.io/component'],
      o.metadata.annotations['argocd.argoproj.io/sync-wave'],
    ]);
    assert.deepEqual(waves, [
      ['linkerd-crds', '0'],
      ['linkerd-control-plane', '1'],
      ['linkerd-viz', '2'],
    ]);
    const set = docs('ARGOCD_APPLICATIONSET')[0]!.o;
    assert.deepEqual(
      set.spec.strategy.rollingSync.steps.map((s: any) => s.matchExpressions[0].values[0]),
      ['linkerd-crds', 'linkerd-control-plane', 'linkerd-viz'],
    );
    assert.equal(set.spec.generators[0].list.elements.length, 3 + 2 + 2);
    const releases = docs('FLUX', [east])
      .filter(({ o }) => o.kind === 'HelmRelease')
      .map(({ o }) => [o.metadata.name, o.spec.dependsOn?.[0]?.name ?? null]);
    assert.deepEqual(releases, [
      ['linkerd-crds', null],
      ['linkerd-control-plane', 'linkerd-crds'],
      ['linkerd-viz', 'linkerd-control-plane'],
    ]);
  });

  it("keeps viz's external Prometheus in its values, as the chart switches to one", () => {
    const viz = (c: GitopsCluster) =>
      docs('FLUX', [c]).find(({ o }) => o.kind === 'HelmRelease' && o.metadata.name === 'linkerd-viz')!.o;
    assert.deepEqual(viz(east).spec.values, { linkerdNamespace: 'linkerd' });
    assert.deepEqual(viz({ ...east, vizPrometheusUrl: 'http://prom.monitoring:9090' }).spec.values, {
      linkerdNamespace: 'linkerd',
      prometheusUrl: 'http://prom.monitoring:9090',
      prometheus: { enabled: false },
    });
  });

  it('uses the chart repositories per channel and says what it could not confirm', () => {
    const tree = exportGitopsTree([west, bel], 'FLUX');
    const repos = docs('FLUX', [west, bel])
      .filter(({ o }) => o.kind === 'HelmRepository')
      .map(({ o }) => o.spec.url);
    assert.deepEqual(repos, ['https://helm.buoyant.cloud', 'https://helm.linkerd.io/edge']);
    const charts = docs('FLUX', [west])
      .filter(({ o }) => o.kind === 'HelmRelease')
      .map(({ o }) => `${o.spec.chart.spec.chart}@${o.spec.chart.spec.version}`);
    assert.deepEqual(charts, ['linkerd-crds@2026.8.3', 'linkerd-control-plane@2026.8.3']);
    assert.ok(tree.warnings.some((w) => w.startsWith('bel: enterprise-2.19.1: Buoyant Enterprise charts')));
    assert.ok(!tree.warnings.some((w) => w.startsWith('west:')));
    assert.match(
      tree.files.find((f) => f.path === 'flux/bel/linkerd-control-plane.helmrelease.yaml')!.content,
      /^# WARNING bel:/m,
    );
  });

  it('ignores what the chart regenerates, at paths that exist in a rendered control plane', () => {
    const rendered = parseAllDocuments(helmRender('edge-26.8.3', 'default').controlPlaneYaml).map((d) =>
      d.toJS(),
    );
    const at = (o: any, pointer: string) =>
      pointer
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce((v, k) => (v == null ? v : v[k]), o);
    for (const rule of CONTROL_PLANE_IGNORES.filter((r) => r.name)) {
      const o = rendered.find((x) => x?.kind === rule.kind && x.metadata.name === rule.name);
      assert.ok(o, `${rule.kind} ${rule.name} is rendered`);
      if (rule.kind !== 'Deployment')
        for (const p of rule.pointers) assert.notEqual(at(o, p), undefined, `${rule.name} ${p}`);
    }
    const app = docs('ARGOCD', [west]).find(({ o }) => o.metadata.name === 'west-linkerd-control-plane')!.o;
    assert.ok(
      app.spec.ignoreDifferences.some(
        (d: any) =>
          d.kind === 'MutatingWebhookConfiguration' &&
          d.jqPathExpressions?.[0] === '.webhooks[]?.clientConfig.caBundle',
      ),
    );
    assert.ok(app.spec.syncPolicy.syncOptions.includes('RespectIgnoreDifferences=true'));
    const hr = docs('FLUX', [west]).find(({ o }) => o.metadata.name === 'linkerd-control-plane')!.o;
    assert.equal(hr.spec.driftDetection.mode, 'enabled');
    assert.ok(
      hr.spec.driftDetection.ignore.some(
        (i: any) =>
          i.target.name === 'linkerd-destination' &&
          i.paths[0] === '/spec/template/metadata/annotations/checksum~1config',
      ),
    );
  });
});
