// GitOps export and ownership through the real API: the export of reported clusters passes the
// Argo CD / Flux schemas and holds no private key; bad input gets a code; a GITOPS cluster
// refuses lifecycle mutations (nothing written) and rollouts leave it out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { crdErrors } from '@meshfleet/linkerd/dist/src/gitops/testing/crd-schemas.fixture';
import { startApi, TestApi } from './harness';
import { agentCall, linkerdReport, registerAndEnroll } from './agent-http';

const CLI = resolve(__dirname, '../../../cli/dist/src/main.js');

function meshfleet(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

const EXPORT = `query($f: GitopsFormat!, $c: ID, $s: GitopsSelectorInput) {
  gitopsExport(format: $f, clusterId: $c, selector: $s) {
    format files { path content } warnings clusters { id name version } skipped { clusterName code reason }
  } }`;

describe('GitOps export and management mode', () => {
  let api: TestApi;
  let key: string;
  let prisma: PrismaService;
  const ids: Record<string, string> = {};
  const credentials: Record<string, string> = {};
  let anchorPem: string;

  before(async () => {
    api = await startApi({ MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    ({ apiKey: key } = await api.newOrg('gitops'));
    prisma = api.app.get(PrismaService);
    const domain = await api.gql(
      `mutation { createIdentityDomain(input: { name: "prod", trustDomain: "prod.example.org" }) { id } }`,
      {},
      key,
    );
    assert.equal(domain.errors, undefined, JSON.stringify(domain.errors));
    const domainId = domain.data!.createIdentityDomain.id as string;
    anchorPem = (await prisma.identityDomain.findUniqueOrThrow({ where: { id: domainId } })).anchorCertPem!;
    for (const [name, version, ha] of [
      ['east', 'edge-26.8.3', true],
      ['west', 'edge-26.8.3', false],
      ['bare', null, false],
    ] as const) {
      const c = await registerAndEnroll(api, key, { name, labels: { env: 'prod' } });
      ids[name] = c.id;
      credentials[name] = c.credential;
      const report = linkerdReport(version);
      report.linkerd.ha = ha;
      assert.equal((await agentCall(api, 'POST', '/reports', c.credential, report)).status, 202);
      // What a finished INSTALL records for the cluster.
      if (version) await prisma.cluster.update({ where: { id: c.id }, data: { identityDomainId: domainId } });
    }
  });
  after(async () => {
    await api?.close();
  });

  it('exports one cluster as Argo CD Applications that pass the CRD schema, with its identity and no private key', async () => {
    const r = await api.gql(EXPORT, { f: 'ARGOCD', c: ids.east }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const out = r.data!.gitopsExport;
    assert.doesNotMatch(JSON.stringify(out), /PRIVATE KEY/);
    assert.deepEqual(
      out.files.map((f: any) => f.path),
      [
        'argocd/east/linkerd-crds.application.yaml',
        'argocd/east/linkerd-control-plane.application.yaml',
        'README.md',
      ],
    );
    assert.deepEqual(out.clusters, [{ id: ids.east, name: 'east', version: 'edge-26.8.3' }]);
    const objects = out.files
      .filter((f: any) => f.path.endsWith('.yaml'))
      .flatMap((f: any) => parseAllDocuments(f.content).map((d) => d.toJS()));
    for (const o of objects) assert.deepEqual(crdErrors(o), [], o.metadata.name);
    const cp = objects.find((o: any) => o.metadata.name === 'east-linkerd-control-plane');
    const values = cp.spec.source.helm.valuesObject;
    assert.equal(values.identityTrustDomain, 'prod.example.org');
    assert.equal(values.identityTrustAnchorsPEM, anchorPem);
    assert.equal(values.identity.issuer.scheme, 'kubernetes.io/tls');
    assert.equal(values.controllerReplicas, 3, 'east reports HA');
    assert.equal(cp.spec.source.repoURL, 'https://helm.linkerd.io/edge');
    assert.equal(cp.spec.source.targetRevision, '2026.8.3');
  });

  it('exports a selector as Flux; clusters without Linkerd are skipped with the reason', async () => {
    const r = await api.gql(EXPORT, { f: 'FLUX', s: { labelSelector: 'env=prod' } }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const out = r.data!.gitopsExport;
    assert.deepEqual(
      out.clusters.map((c: any) => c.name),
      ['east', 'west'],
    );
    assert.deepEqual(out.skipped, [
      {
        clusterName: 'bare',
        code: 'NOT_INSTALLED',
        reason: 'Linkerd is not installed: there is no release to export',
      },
    ]);
    let checked = 0;
    for (const f of out.files)
      for (const d of f.path.endsWith('.yaml') ? parseAllDocuments(f.content) : []) {
        const errors = crdErrors(d.toJS());
        if (errors) checked++;
        if (errors) assert.deepEqual(errors, [], f.path);
      }
    assert.equal(checked, 2 * 3, 'a HelmRepository and two HelmReleases per cluster');
    const west = out.files.find((f: any) => f.path === 'flux/west/linkerd-control-plane.helmrelease.yaml');
    const hr = parseAllDocuments(west.content)[0]!.toJS();
    assert.deepEqual(hr.spec.dependsOn, [{ name: 'linkerd-crds', namespace: 'linkerd' }]);
    assert.equal(hr.spec.driftDetection.mode, 'enabled');
    assert.equal(hr.spec.values.controllerReplicas, undefined, 'west is not HA');
  });

  it('refuses bad input with a code', async () => {
    const none = await api.gql(EXPORT, { f: 'FLUX', s: { labelSelector: 'env=nowhere' } }, key);
    assert.equal(errorCode(none), 'BAD_USER_INPUT');
    assert.equal(none.errors![0]!.extensions!['reason'], 'NO_CLUSTERS_MATCHED');
    const format = await api.gql(EXPORT, { f: 'HELMFILE', c: ids.east }, key);
    assert.match(format.errors![0]!.message, /HELMFILE.*GitopsFormat|GitopsFormat.*HELMFILE/);
    const both = await api.gql(EXPORT, { f: 'FLUX', c: ids.east, s: { labelSelector: 'env=prod' } }, key);
    assert.equal(errorCode(both), 'BAD_USER_INPUT');
    const neither = await api.gql(EXPORT, { f: 'FLUX' }, key);
    assert.equal(errorCode(neither), 'BAD_USER_INPUT');
    const selector = await api.gql(EXPORT, { f: 'FLUX', s: { labelSelector: 'env in (' } }, key);
    assert.equal(errorCode(selector), 'BAD_USER_INPUT');
    const bare = await api.gql(EXPORT, { f: 'ARGOCD', c: ids.bare }, key);
    assert.equal(errorCode(bare), 'FAILED_PRECONDITION');
    assert.equal(bare.errors![0]!.extensions!['reason'], 'NOT_INSTALLED');
    const unknown = await api.gql(EXPORT, { f: 'ARGOCD', c: '00000000-0000-4000-8000-000000000000' }, key);
    assert.equal(errorCode(unknown), 'NOT_FOUND');
  });

  it('a GITOPS cluster refuses upgradeLinkerd naming the tool, writes nothing, and rollouts leave it out', async () => {
    const noTool = await api.gql(
      `mutation($c: ID!) { setClusterManagementMode(clusterId: $c, mode: GITOPS) { id } }`,
      { c: ids.west },
      key,
    );
    assert.equal(errorCode(noTool), 'BAD_USER_INPUT');
    const set = await api.gql(
      `mutation($c: ID!) { setClusterManagementMode(clusterId: $c, mode: GITOPS, tool: ARGOCD) { managementMode gitopsTool managementModeSource } }`,
      { c: ids.west },
      key,
    );
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));
    assert.deepEqual(set.data!.setClusterManagementMode, {
      managementMode: 'GITOPS',
      gitopsTool: 'ARGOCD',
      managementModeSource: 'USER',
    });
    const upgrade = `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "edge-26.8.3" }) { id } }`;
    for (const m of [
      upgrade,
      `mutation($c: ID!) { uninstallLinkerd(clusterId: $c) { id } }`,
      `mutation($c: ID!) { rotateIssuer(clusterId: $c) { id } }`,
      `mutation($c: ID!) { meshNamespaces(input: { clusterId: $c, namespaces: ["default"] }) { id } }`,
    ]) {
      const r = await api.gql(m, { c: ids.west }, key);
      assert.equal(errorCode(r), 'FAILED_PRECONDITION', `${m}: ${JSON.stringify(r.errors)}`);
      assert.equal(r.errors![0]!.extensions!['reason'], 'GITOPS_MANAGED', m);
      assert.match(r.errors![0]!.message, /managed by Argo CD \(GITOPS mode\)/);
    }
    assert.equal(await prisma.operation.count({ where: { clusterId: ids.west } }), 0);
    assert.equal(
      await prisma.auditEvent.count({ where: { targetId: ids.west, action: { startsWith: 'operation.' } } }),
      0,
    );
    const plan = await api.gql(
      `{ planRollout(input: { targetVersion: "edge-26.8.3", selector: { clusterIds: ["${ids.west}"] } }) { excluded { code reason } } }`,
      {},
      key,
    );
    assert.equal(plan.errors, undefined, JSON.stringify(plan.errors));
    assert.deepEqual(plan.data!.planRollout.excluded, [
      {
        code: 'GITOPS_MANAGED',
        reason: 'Argo CD applies Linkerd on this cluster (GITOPS mode); change it in Git',
      },
    ]);

    // Handed back, the same upgrade passes the mode check (and fails later, on the path, not the mode).
    const back = await api.gql(
      `mutation($c: ID!) { setClusterManagementMode(clusterId: $c, mode: MESHFLEET) { managementMode gitopsTool } }`,
      { c: ids.west },
      key,
    );
    assert.deepEqual(back.data!.setClusterManagementMode, { managementMode: 'MESHFLEET', gitopsTool: null });
    const again = await api.gql(upgrade, { c: ids.west }, key);
    assert.notEqual(
      again.errors?.[0]?.extensions?.['reason'],
      'GITOPS_MANAGED',
      JSON.stringify(again.errors),
    );
  });

  it('meshfleet gitops export writes the folder; a bad format is a usage error', async () => {
    const out = await mkdtemp(join(tmpdir(), 'meshfleet-gitops-'));
    const env = { MESHFLEET_API_URL: api.url, MESHFLEET_API_KEY: key, HOME: out };
    try {
      const r = await meshfleet(
        ['gitops', 'export', '--selector', 'env=prod', '--format', 'flux', '--out', join(out, 'tree')],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^Wrote 11 files to .*tree for east \(edge-26\.8\.3\), west \(edge-26\.8\.3\)$/m,
      );
      assert.match(r.stdout, /^skipped bare: Linkerd is not installed/m);
      assert.deepEqual((await readdir(join(out, 'tree', 'flux', 'east'))).sort(), [
        'helmrepository.yaml',
        'kustomization.yaml',
        'linkerd-control-plane.helmrelease.yaml',
        'linkerd-crds.helmrelease.yaml',
        'namespace-linkerd.yaml',
      ]);
      const hr = parseAllDocuments(
        await readFile(join(out, 'tree', 'flux', 'east', 'linkerd-control-plane.helmrelease.yaml'), 'utf8'),
      )[0]!.toJS();
      assert.deepEqual(crdErrors(hr), []);
      assert.equal(hr.spec.values.identityTrustAnchorsPEM, anchorPem);

      const one = await meshfleet(
        [
          'gitops',
          'export',
          '--cluster',
          'east',
          '--format',
          'argocd',
          '--out',
          join(out, 'argo'),
          '-o',
          'json',
        ],
        env,
      );
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(JSON.parse(one.stdout).files, [
        'argocd/east/linkerd-crds.application.yaml',
        'argocd/east/linkerd-control-plane.application.yaml',
        'README.md',
      ]);

      const bad = await meshfleet(
        ['gitops', 'export', '--cluster', 'east', '--format', 'helmfile', '--out', out],
        env,
      );
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--format must be one of argocd, argocd-applicationset, flux/);
      const none = await meshfleet(
        ['gitops', 'export', '--selector', 'env=nowhere', '--format', 'flux', '--out', out],
        env,
      );
      assert.equal(none.code, 1);
      assert.match(none.stderr, /The selector matches no cluster .*\(BAD_USER_INPUT\)/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('detects GITOPS from the report, follows the marks, and never overrides the user', async () => {
    const mode = async () =>
      (
        await api.gql(
          `query($c: ID!) { cluster(id: $c) { managementMode gitopsTool managementModeSource gitopsEvidence } }`,
          { c: ids.east },
          key,
        )
      ).data!.cluster;
    const send = async (gitops: unknown) => {
      const r = linkerdReport('edge-26.8.3');
      r.linkerd.ha = true;
      if (gitops !== undefined) r.gitops = gitops;
      assert.equal((await agentCall(api, 'POST', '/reports', credentials.east!, r)).status, 202);
    };
    const evidence = [
      'Deployment linkerd/linkerd-destination: label helm.toolkit.fluxcd.io/name=linkerd-control-plane',
    ];
    await send({ detected: 'FLUX', evidence });
    assert.deepEqual(await mode(), {
      managementMode: 'GITOPS',
      gitopsTool: 'FLUX',
      managementModeSource: 'DETECTED',
      gitopsEvidence: evidence,
    });
    const refused = await api.gql(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "edge-26.8.3" }) { id } }`,
      { c: ids.east },
      key,
    );
    assert.equal(refused.errors![0]!.extensions!['reason'], 'GITOPS_MANAGED');
    assert.match(refused.errors![0]!.message, /managed by Flux/);
    // An older agent (no gitops field) changes nothing; marks gone, the detected mode goes too.
    await send(undefined);
    assert.equal((await mode()).managementMode, 'GITOPS');
    await send({ detected: null, evidence: [] });
    assert.deepEqual(await mode(), {
      managementMode: 'MESHFLEET',
      gitopsTool: null,
      managementModeSource: null,
      gitopsEvidence: [],
    });
    // The user's choice stays whatever later reports say.
    await api.gql(
      `mutation($c: ID!) { setClusterManagementMode(clusterId: $c, mode: MESHFLEET) { id } }`,
      { c: ids.east },
      key,
    );
    await send({ detected: 'ARGOCD', evidence: ['x'] });
    const after = await mode();
    assert.equal(after.managementMode, 'MESHFLEET');
    assert.equal(after.managementModeSource, 'USER');
    assert.deepEqual(after.gitopsEvidence, ['x'], 'the evidence is still shown');
  });
});
