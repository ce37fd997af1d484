// The agent's install paths end to end: registerCluster's manifest and helm command, the Helm
// charts (charts/meshfleet-agent, charts/meshfleet) rendered by the pinned real Helm binary
// (scripts/helm.mjs), and every render applied to the Kubernetes simulator with
// `kubectl apply --dry-run=server`. Skips (with a message) when kubectl is not installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlias, parseAllDocuments, visit } from 'yaml';
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

const ROOT = join(__dirname, '..', '..', '..', '..');
const AGENT_CHART = join(ROOT, 'charts', 'meshfleet-agent');
const MESHFLEET_CHART = join(ROOT, 'charts', 'meshfleet');
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl)
  console.log('# kubectl not found on PATH: skipping chart tests (CI installs it via .ci/run)');

const REGISTER = `mutation($input: RegisterClusterInput!) {
  registerCluster(input: $input) { cluster { id } bootstrapToken { token } agentManifest helmCommand }
}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env, timeout: 60_000, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });

/** Words of a shell command line: single quotes, backslash-newline continuations. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && line[i + 1] === '\n') i++;
    else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') cur = (cur ?? '') + line[++i];
    else if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

describe(
  'agent install paths and Helm charts on the simulator',
  { skip: !hasKubectl && 'kubectl is not installed' },
  () => {
    let api: TestApi;
    let key: string;
    let sim: Simulator;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let helm: string;

    const kubectl = (args: string[], input?: string) => run('kubectl', args, env, input);
    const template = (chart: string, namespace: string, args: string[]) =>
      run(helm, ['template', 'release', chart, '--namespace', namespace, ...args], env);
    /** Applies a render with --dry-run=server; returns the objects kubectl reports. */
    async function dryRun(yaml: string): Promise<string[]> {
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], yaml);
      assert.equal(r.code, 0, `kubectl apply --dry-run=server failed:\n${r.stderr}`);
      return r.stdout.trim().split('\n');
    }

    before(async () => {
      helm = execFileSync(process.execPath, [join(ROOT, 'scripts', 'helm.mjs'), '--path'], {
        encoding: 'utf8',
      }).trim();
      api = await startApi();
      ({ apiKey: key } = await api.newOrg('charts'));
      sim = await startSimulator({
        scenario: {
          clusters: [{ name: 'charts', provider: 'gke', kubernetesVersion: '1.31.5', nodes: 1 }],
        } as never,
      });
      dir = mkdtempSync(join(tmpdir(), 'mf-charts-'));
      const [kubeconfig] = await sim.writeKubeconfigs(dir);
      env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
      for (const ns of ['meshfleet-system', 'meshfleet'])
        assert.equal((await kubectl(['create', 'namespace', ns])).code, 0);
    });
    after(async () => {
      await sim?.close();
      await api?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('registerCluster: the manifest has no YAML aliases and the simulator accepts it', async () => {
      const r = await api.gql(REGISTER, { input: { name: 'eu-1', provider: 'GKE' } }, key);
      assert.equal(r.errors, undefined);
      const { agentManifest, bootstrapToken } = r.data!.registerCluster;
      let aliases = 0;
      for (const d of parseAllDocuments(agentManifest))
        visit(d, { Node: (_, n) => void (isAlias(n) || ('anchor' in n && n.anchor) ? aliases++ : 0) });
      assert.equal(aliases, 0);
      assert.ok(agentManifest.includes(bootstrapToken.token));
      const applied = await dryRun(agentManifest);
      assert.ok(
        applied.some((l) =>
          /deployment\.apps\/meshfleet-agent (created|configured) \(server dry run\)/.test(l),
        ),
        applied.join('\n'),
      );
    });

    it("registerCluster's helm command renders the agent chart, which the simulator accepts", async () => {
      const r = await api.gql(REGISTER, { input: { name: 'eu-2', provider: 'GKE' } }, key);
      assert.equal(r.errors, undefined);
      const { helmCommand, bootstrapToken, cluster } = r.data!.registerCluster;
      const words = shellWords(helmCommand);
      assert.deepEqual(words.slice(0, 4), ['helm', 'install', 'meshfleet-agent', './charts/meshfleet-agent']);
      // The same command, rendering instead of installing.
      const sets = words
        .slice(4)
        .filter((w) => !['--namespace', 'meshfleet-system', '--create-namespace'].includes(w));
      const out = await template(AGENT_CHART, 'meshfleet-system', sets);
      assert.equal(out.code, 0, out.stderr);
      const docs = parseAllDocuments(out.stdout)
        .map((d) => d.toJS() as any)
        .filter(Boolean);
      const secret = docs.find((d) => d.kind === 'Secret');
      assert.equal(secret.stringData.bootstrapToken, bootstrapToken.token);
      assert.equal(secret.stringData.clusterId, cluster.id);
      assert.equal(secret.stringData.apiUrl, 'https://meshfleet.example.test');
      assert.deepEqual(docs.map((d) => d.kind).sort(), [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'Role',
        'RoleBinding',
        'Secret',
        'ServiceAccount',
      ]);
      const deployment = docs.find((d) => d.kind === 'Deployment');
      assert.equal(
        deployment.spec.template.spec.containers[0].image,
        'ghcr.io/meshfleet/linkerd-agent:0.1.0',
      );
      const applied = await dryRun(out.stdout);
      assert.equal(applied.length, 7, applied.join('\n'));
      // The chart's ClusterRole is the manifest's (one source for the rules).
      const manifestRole = parseAllDocuments(r.data!.registerCluster.agentManifest)
        .map((d) => d.toJS() as any)
        .find((d) => d.kind === 'ClusterRole');
      assert.deepEqual(docs.find((d) => d.kind === 'ClusterRole').rules, manifestRole.rules);
    });

    it('renders the agent chart in monitor mode, and refuses bad values with a clear message', async () => {
      const ok = await template(AGENT_CHART, 'meshfleet-system', [
        '--set',
        'token=mfb_0123456789abcdef',
        '--set',
        'apiUrl=https://mf.example.test',
        '--set',
        'mode=monitor',
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      await dryRun(ok.stdout);
      const cases: Array<[string[], RegExp]> = [
        [['--set', 'apiUrl=https://mf.example.test'], /token is required/],
        [['--set', 'token=mfb_0123456789abcdef'], /apiUrl is required/],
        [['--set', 'token=t', '--set', 'apiUrl=mf.example.test'], /apiUrl must be an http\(s\) URL/],
        [
          ['--set', 'token=t', '--set', 'apiUrl=https://mf.example.test', '--set', 'mode=admin'],
          /mode must be monitor or managed, not "admin"/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await template(AGENT_CHART, 'meshfleet-system', args);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.stderr, message);
      }
    });

    const SERVICE_MONITOR_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: servicemonitors, singular: servicemonitor, kind: ServiceMonitor, listKind: ServiceMonitorList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
    const BASE = [
      '--set',
      'publicUrl=https://meshfleet.example.test',
      '--set',
      'secrets.databaseUrl=postgresql://meshfleet@db.example.test:5432/meshfleet',
      '--set',
      'secrets.redisUrl=redis://redis.example.test:6379',
      '--set',
      'secrets.encryptionKeys=k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    ];

    it('renders the Meshfleet chart (api, worker, migration hook, Secret, PDBs, HPA, ServiceMonitor) and the simulator accepts it', async () => {
      const noCrd = await template(MESHFLEET_CHART, 'meshfleet', [
        ...BASE,
        '--set',
        'serviceMonitor.enabled=true',
      ]);
      assert.equal(noCrd.code, 0, noCrd.stderr);
      // Without the Prometheus Operator's CRD the ServiceMonitor is refused, as a real cluster would.
      const refused = await kubectl(['apply', '--dry-run=server', '-f', '-'], noCrd.stdout);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /ServiceMonitor/);

      assert.equal((await kubectl(['apply', '--server-side', '-f', '-'], SERVICE_MONITOR_CRD)).code, 0);
      assert.equal(
        (
          await kubectl([
            'wait',
            '--for=condition=Established',
            'crd/servicemonitors.monitoring.coreos.com',
            '--timeout=20s',
          ])
        ).code,
        0,
      );
      const applied = await dryRun(noCrd.stdout);
      const kinds = parseAllDocuments(noCrd.stdout)
        .map((d) => d.toJS() as any)
        .filter(Boolean);
      assert.deepEqual(kinds.map((d) => d.kind).sort(), [
        'Deployment',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Job',
        'PodDisruptionBudget',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ]);
      assert.equal(applied.length, kinds.length, applied.join('\n'));
      const apiDeploy = kinds.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-api'));
      const c = apiDeploy.spec.template.spec.containers[0];
      assert.equal(c.readinessProbe.httpGet.path, '/readyz');
      assert.equal(c.livenessProbe.httpGet.path, '/healthz');
      assert.equal(apiDeploy.spec.replicas, undefined, 'the HPA owns the replica count');
      const job = kinds.find((d) => d.kind === 'Job');
      assert.match(job.metadata.annotations['helm.sh/hook'], /pre-install/);
      assert.deepEqual(job.spec.template.spec.containers[0].command.slice(-2), ['migrate', 'deploy']);
      const secret = kinds.find((d) => d.kind === 'Secret');
      assert.ok(
        Number(secret.metadata.annotations['helm.sh/hook-weight']) <
          Number(job.metadata.annotations['helm.sh/hook-weight']),
      );
    });

    it('uses an existing Secret, turns off autoscaling and the ServiceMonitor, and refuses bad values', async () => {
      const r = await template(MESHFLEET_CHART, 'meshfleet', [
        '--set',
        'publicUrl=https://meshfleet.example.test',
        '--set',
        'secrets.existingSecret=meshfleet-prod',
        '--set',
        'api.autoscaling.enabled=false',
        '--set',
        'api.replicas=3',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const docs = parseAllDocuments(r.stdout)
        .map((d) => d.toJS() as any)
        .filter(Boolean);
      assert.equal(
        docs.some(
          (d) => d.kind === 'Secret' || d.kind === 'HorizontalPodAutoscaler' || d.kind === 'ServiceMonitor',
        ),
        false,
      );
      const apiDeploy = docs.find((d) => d.kind === 'Deployment' && d.metadata.name.endsWith('-api'));
      assert.equal(apiDeploy.spec.replicas, 3);
      assert.ok(JSON.stringify(apiDeploy).includes('"name":"meshfleet-prod"'));
      await dryRun(r.stdout);

      const cases: Array<[string[], RegExp]> = [
        [BASE.slice(2), /publicUrl is required/],
        [
          [...BASE.slice(0, 2), ...BASE.slice(4)],
          /secrets\.databaseUrl is required \(or secrets\.existingSecret\)/,
        ],
        [
          [...BASE, '--set', 'api.autoscaling.minReplicas=5', '--set', 'api.autoscaling.maxReplicas=2'],
          /minReplicas \(5\) is above maxReplicas \(2\)/,
        ],
      ];
      for (const [args, message] of cases) {
        const bad = await template(MESHFLEET_CHART, 'meshfleet', args);
        assert.notEqual(bad.code, 0, args.join(' '));
        assert.match(bad.stderr, message);
      }
    });

    it('the simulator refuses an invalid HorizontalPodAutoscaler, as Kubernetes does', async () => {
      const hpa = (min: number, max: number) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad, namespace: meshfleet}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: x}
  minReplicas: ${min}
  maxReplicas: ${max}
`;
      const bad = await kubectl(['apply', '--dry-run=server', '-f', '-'], hpa(5, 2));
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /spec\.maxReplicas.*must be greater than or equal to `minReplicas`/);
      await dryRun(hpa(1, 2));
    });
  },
);

describe('registerCluster with a loopback public URL', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startApi({ MESHFLEET_PUBLIC_URL: 'http://localhost:3000' });
    ({ apiKey: key } = await api.newOrg('loopback'));
  });
  after(() => api.close());

  it('is refused with FAILED_PRECONDITION naming MESHFLEET_PUBLIC_URL, and writes nothing', async () => {
    const r = await api.gql(REGISTER, { input: { name: 'lost', provider: 'AKS' } }, key);
    assert.equal(errorCode(r), 'FAILED_PRECONDITION');
    assert.match(r.errors![0]!.message, /MESHFLEET_PUBLIC_URL/);
    const list = await api.gql(`{ clusters { totalCount } }`, {}, key);
    assert.equal(list.data!.clusters.totalCount, 0);
  });
});
