// The `--proxy` checks over Services (healthcheck.go linkerd-data-plane) and `-n <ns>` scoping.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import type { CheckResults } from '@meshfleet/agent-protocol';
import { healthyCluster, pod } from '../testing/cluster.fixture';
import { makePki, type TestPki } from '../testing/pki.fixture';
import type { ClusterSnapshot } from '../snapshot';
import { runChecks } from './run-checks';
import { misconfiguredOpaqueAnnotation } from './opaque-ports.check';
import { narrowChecksToNamespace } from './narrow-checks';
import { NOW } from '../testing/cluster.fixture';

const find = (r: CheckResults, description: string) =>
  r.categories
    .find((c) => c.name === 'linkerd-data-plane')
    ?.checks.find((c) => c.description === description);

const svc = (
  ns: string,
  name: string,
  o: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ports?: Array<{ port: number; targetPort?: number | string }>;
    selector?: Record<string, string>;
    clusterIP?: string;
  } = {},
): V1Service => ({
  metadata: {
    namespace: ns,
    name,
    ...(o.labels ? { labels: o.labels } : {}),
    ...(o.annotations ? { annotations: o.annotations } : {}),
  },
  spec: {
    clusterIP: o.clusterIP ?? '10.96.0.20',
    ...(o.selector ? { selector: o.selector } : {}),
    ports: (o.ports ?? []).map((p) => ({
      name: `p${p.port}`,
      port: p.port,
      ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    })),
  },
});

/** A pod of `app` whose app container exposes `ports` (named `name:port` or unnamed). */
function appPod(
  ns: string,
  name: string,
  app: string,
  ports: Array<{ containerPort: number; name?: string }>,
  annotations?: Record<string, string>,
) {
  const p = pod({ ns, name, deployment: app, labels: { app }, ...(annotations ? { annotations } : {}) });
  p.spec!.containers[0]!.ports = ports;
  return p;
}

const DESCRIPTIONS = [
  'data plane namespace exists',
  'data plane proxies are ready',
  'data plane is up-to-date',
  'data plane pod labels are configured correctly',
  'data plane service labels are configured correctly',
  'data plane service annotations are configured correctly',
  'opaque ports are properly annotated',
];

describe('linkerd-data-plane Service checks', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });
  const cluster = (services?: V1Service[]): ClusterSnapshot => {
    const s = healthyCluster(pki);
    if (services) s.services = services;
    return s;
  };

  it('runs all three Service checks in the CLI order when Services are collected', async () => {
    const r = await runChecks(cluster([svc('shop', 'web', { ports: [{ port: 80, targetPort: 8080 }] })]), {
      dataPlaneNamespace: 'shop',
    });
    const dp = r.categories.find((c) => c.name === 'linkerd-data-plane')!;
    assert.deepEqual(
      dp.checks.map((c) => c.description),
      DESCRIPTIONS,
    );
    assert.ok(dp.checks.every((c) => c.result === 'success'));
  });

  it('skips the Service checks when the agent collected no Services', async () => {
    const r = await runChecks(cluster());
    assert.equal(find(r, 'data plane service labels are configured correctly'), undefined);
    assert.equal(find(r, 'opaque ports are properly annotated'), undefined);
    assert.ok(find(r, 'data plane pod labels are configured correctly'));
  });

  it('warns about Linkerd config keys set as Service labels', async () => {
    const r = await runChecks(
      cluster([
        svc('shop', 'web', {
          labels: { app: 'web', 'config.linkerd.io/opaque-ports': '3306', 'linkerd.io/inject': 'enabled' },
        }),
        svc('shop', 'ok', { labels: { app: 'ok' } }),
      ]),
    );
    const c = find(r, 'data plane service labels are configured correctly')!;
    assert.equal(c.result, 'warning');
    assert.equal(c.hint, 'https://linkerd.io/2/checks/#l5d-data-plane-services-labels');
    assert.equal(
      c.error,
      'Some labels on data plane services should be annotations:\n\t* shop/web\n\t\tconfig.linkerd.io/opaque-ports\n\t\tlinkerd.io/inject',
    );
    assert.equal(r.success, true, 'a warning does not fail the run');
  });

  it('warns about the export key set as a Service annotation', async () => {
    const r = await runChecks(
      cluster([
        svc('shop', 'web', {
          annotations: { 'mirror.linkerd.io/exported': 'true', 'config.linkerd.io/opaque-ports': '3306' },
        }),
      ]),
    );
    const c = find(r, 'data plane service annotations are configured correctly')!;
    assert.equal(c.result, 'warning');
    assert.equal(
      c.error,
      'Some annotations on data plane services should be labels:\n\t* shop/web\n\t\tmirror.linkerd.io/exported',
    );
    assert.equal(find(r, 'data plane service labels are configured correctly')!.result, 'success');
  });

  it('only looks at the -n namespace', async () => {
    const services = [
      svc('other', 'bad', {
        labels: { 'linkerd.io/inject': 'enabled' },
        annotations: { 'mirror.linkerd.io/exported': 'true' },
      }),
      svc('shop', 'web'),
    ];
    const scoped = await runChecks(cluster(services), { dataPlaneNamespace: 'shop' });
    assert.equal(find(scoped, 'data plane service labels are configured correctly')!.result, 'success');
    assert.equal(find(scoped, 'data plane service annotations are configured correctly')!.result, 'success');
    const all = await runChecks(cluster(services));
    assert.equal(find(all, 'data plane service labels are configured correctly')!.result, 'warning');
    assert.match(find(all, 'data plane service annotations are configured correctly')!.error!, /other\/bad/);
  });

  describe('opaque ports are properly annotated', () => {
    const run = async (services: V1Service[], pods: ReturnType<typeof appPod>[]) => {
      const s = cluster(services);
      s.pods.push(...pods);
      return find(await runChecks(s), 'opaque ports are properly annotated')!;
    };

    it('passes when the pod and the Service agree', async () => {
      const c = await run(
        [
          svc('db', 'mysql', {
            selector: { app: 'mysql' },
            annotations: { 'config.linkerd.io/opaque-ports': '3306' },
            ports: [{ port: 3306, targetPort: 3306 }],
          }),
        ],
        [
          appPod('db', 'mysql-0', 'mysql', [{ containerPort: 3306, name: 'mysql' }], {
            'config.linkerd.io/opaque-ports': '3306',
          }),
        ],
      );
      assert.equal(c.result, 'success');
    });

    it('pod opaque, Service not: add the service port to the Service', async () => {
      const c = await run(
        [svc('db', 'mysql', { selector: { app: 'mysql' }, ports: [{ port: 3306, targetPort: 3306 }] })],
        [
          appPod('db', 'mysql-0', 'mysql', [{ containerPort: 3306, name: 'mysql' }], {
            'config.linkerd.io/opaque-ports': '3306',
          }),
        ],
      );
      assert.equal(c.result, 'warning');
      assert.equal(c.hint, 'https://linkerd.io/2/checks/#linkerd-opaque-ports-definition');
      assert.equal(
        c.error,
        '\t* service mysql targets the opaque port 3306 through 3306; add 3306 to its config.linkerd.io/opaque-ports annotation',
      );
    });

    it('Service opaque, pod not: add the target port to the pod', async () => {
      const c = await run(
        [
          svc('db', 'pg', {
            selector: { app: 'pg' },
            annotations: { 'config.linkerd.io/opaque-ports': '5432' },
            ports: [{ port: 5432, targetPort: 5432 }],
          }),
        ],
        [appPod('db', 'pg-0', 'pg', [{ containerPort: 5432, name: 'pg' }])],
      );
      assert.equal(
        c.error,
        '\t* service pg expects target port 5432 to be opaque; add it to pod pg-0 config.linkerd.io/opaque-ports annotation',
      );
    });

    it('names the service port that targets the opaque port (int and named targetPort)', async () => {
      const c = await run(
        [
          svc('db', 'byint', { selector: { app: 'a' }, ports: [{ port: 1002, targetPort: 2002 }] }),
          svc('db', 'byname', { selector: { app: 'a' }, ports: [{ port: 1003, targetPort: 'pod-test' }] }),
        ],
        [
          appPod(
            'db',
            'a-0',
            'a',
            [
              { containerPort: 2002, name: 'x' },
              { containerPort: 2003, name: 'pod-test' },
            ],
            { 'config.linkerd.io/opaque-ports': '2002,2003' },
          ),
        ],
      );
      assert.equal(
        c.error,
        '\t* service byint targets the opaque port 2002 through 1002; add 1002 to its config.linkerd.io/opaque-ports annotation\n    ' +
          '\t* service byname targets the opaque port pod-test through 1003; add 1003 to its config.linkerd.io/opaque-ports annotation',
      );
    });

    it('ignores headless Services, not-ready pods and pods the selector does not pick', async () => {
      const notReady = appPod('db', 'pg-1', 'pg', [{ containerPort: 5432 }]);
      notReady.status!.containerStatuses![0]!.ready = false;
      const c = await run(
        [
          svc('db', 'headless', {
            clusterIP: 'None',
            selector: { app: 'pg' },
            annotations: { 'config.linkerd.io/opaque-ports': '5432' },
            ports: [{ port: 5432, targetPort: 5432 }],
          }),
          svc('db', 'pg', {
            selector: { app: 'pg' },
            annotations: { 'config.linkerd.io/opaque-ports': '5432' },
            ports: [{ port: 5432, targetPort: 5432 }],
          }),
        ],
        [notReady, appPod('db', 'other-0', 'other', [{ containerPort: 5432 }])],
      );
      assert.equal(c.result, 'success');
    });

    it('reads an omitted targetPort as the port, as the API server defaults it', async () => {
      const c = await run(
        [svc('db', 'redis', { selector: { app: 'redis' }, ports: [{ port: 6379 }] })],
        [
          appPod('db', 'redis-0', 'redis', [{ containerPort: 6379 }], {
            'config.linkerd.io/opaque-ports': '6379',
          }),
        ],
      );
      assert.equal(
        c.error,
        '\t* service redis targets the opaque port 6379 through 6379; add 6379 to its config.linkerd.io/opaque-ports annotation',
      );
    });

    it('reports an annotation value it cannot parse as the CLI does (ranges included)', () => {
      const problem = misconfiguredOpaqueAnnotation(
        svc('db', 'pg', { ports: [{ port: 5432, targetPort: 5432 }] }),
        appPod('db', 'pg-0', 'pg', [{ containerPort: 5432 }], {
          'config.linkerd.io/opaque-ports': '4000-5000',
        }),
      );
      assert.equal(problem, 'failed to convert 4000-5000 to port number for pod pg-0');
    });
  });

  it('-n scopes the trust-bundle check and names pods without their namespace', async () => {
    const s = healthyCluster(pki);
    const stale = pod({ ns: 'shop', name: 'web-stale', deployment: 'web', trustSha: 'f'.repeat(64) });
    const elsewhere = pod({ ns: 'other', name: 'x-stale', deployment: 'x', trustSha: 'f'.repeat(64) });
    s.pods.push(stale, elsewhere);
    const scoped = await runChecks(s, { dataPlaneNamespace: 'shop' });
    const c = scoped.categories.find((x) => x.name === 'linkerd-identity-data-plane')!.checks[0]!;
    assert.equal(
      c.error,
      'Some pods do not have the current trust bundle and must be restarted:\n\t* web-stale',
    );
    const all = await runChecks(s);
    const a = all.categories.find((x) => x.name === 'linkerd-identity-data-plane')!.checks[0]!;
    assert.match(a.error!, /\t\* shop\/web-stale\n\t\* other\/x-stale/);
  });

  describe('narrowed to one namespace from a cluster-wide run', () => {
    const wide = async () => {
      const s = cluster([
        svc('db', 'pg', {
          selector: { app: 'pg' },
          annotations: { 'config.linkerd.io/opaque-ports': '5432' },
          ports: [{ port: 5432, targetPort: 5432 }],
        }),
      ]);
      s.pods.push(
        appPod('db', 'pg-0', 'pg', [{ containerPort: 5432 }]),
        pod({
          ns: 'shop',
          name: 'web-labelled',
          deployment: 'web',
          labels: { 'linkerd.io/inject': 'enabled' },
        }),
      );
      return runChecks(s);
    };
    const check = (r: CheckResults, d: string) =>
      r.categories.flatMap((c) => c.checks).find((c) => c.description === d);

    it('a failed --proxy check carries the namespaces its error names', async () => {
      const r = await wide();
      assert.deepEqual(check(r, 'opaque ports are properly annotated')!.namespaces, ['db']);
      assert.deepEqual(check(r, 'data plane pod labels are configured correctly')!.namespaces, ['shop']);
      assert.equal(check(r, 'data plane proxies are ready')!.namespaces, undefined, 'passed: none');
    });

    it('keeps the failures naming the namespace and passes the others', async () => {
      const shop = narrowChecksToNamespace(await wide(), 'shop', 4, 'edge-26.6.3');
      assert.equal(check(shop, 'data plane pod labels are configured correctly')!.result, 'warning');
      const opaque = check(shop, 'opaque ports are properly annotated')!;
      assert.equal(opaque.result, 'success');
      assert.equal(opaque.error, undefined);
      const db = narrowChecksToNamespace(await wide(), 'db', 1, 'edge-26.6.3');
      assert.equal(check(db, 'opaque ports are properly annotated')!.result, 'warning');
      assert.equal(check(db, 'data plane pod labels are configured correctly')!.result, 'success');
      // Control-plane categories are the cluster's.
      assert.deepEqual(
        db.categories.filter((c) => c.name === 'linkerd-identity').map((c) => c.checks.length),
        (await wide()).categories.filter((c) => c.name === 'linkerd-identity').map((c) => c.checks.length),
      );
    });

    it('fails "proxies are ready" fatally for a namespace without meshed pods, as -n does', async () => {
      const r = narrowChecksToNamespace(await wide(), 'legacy', 0, 'stable-2.14.10');
      const ready = check(r, 'data plane proxies are ready')!;
      assert.equal(ready.result, 'error');
      assert.equal(ready.error, 'No "linkerd-proxy" containers found in the "legacy" namespace');
      assert.equal(ready.hint, 'https://linkerd.io/2.14/checks/#l5d-data-plane-ready');
      assert.equal(r.success, false);
      assert.ok(r.notRun!.some((n) => n.description === 'opaque ports are properly annotated'));
      assert.equal(check(r, 'opaque ports are properly annotated'), undefined);
    });

    it('cannot narrow a failure from an older agent, so keeps it', async () => {
      const r = await wide();
      delete check(r, 'opaque ports are properly annotated')!.namespaces;
      const shop = narrowChecksToNamespace(r, 'shop', 4, null);
      assert.equal(check(shop, 'opaque ports are properly annotated')!.result, 'warning');
    });
  });
});
