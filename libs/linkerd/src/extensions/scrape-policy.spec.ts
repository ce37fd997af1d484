import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AdoptionFacts } from '@meshfleet/agent-protocol';
import { scrapePolicyWarnings } from './scrape-policy';

type Facts = Pick<AdoptionFacts, 'defaultInboundPolicy' | 'namespaces'>;
const ns = (name: string, inboundPolicy: string | null, meshedPods = 1) =>
  ({
    name,
    inject: null,
    opaquePorts: null,
    inboundPolicy,
    workloads: [{ kind: 'Deployment', name: 'w', meshedPods }],
    workloadsTruncated: false,
  }) as unknown as AdoptionFacts['namespaces'][number];
const facts = (defaultInboundPolicy: string | null, namespaces: Facts['namespaces']): Facts => ({
  defaultInboundPolicy,
  namespaces,
});
const bundled = (allowScrapesNamespaces: string[] = []) => ({ prometheusUrl: null, allowScrapesNamespaces });

describe('scrape policy warnings', () => {
  it('none when every meshed namespace admits the scrapes', () => {
    const f = facts(null, [ns('shop', null), ns('pay', 'all-authenticated'), ns('idle', 'deny', 0)]);
    assert.deepEqual(scrapePolicyWarnings(f, bundled()), []);
    assert.deepEqual(scrapePolicyWarnings(null, bundled()), []);
  });

  it("deny blocks viz's Prometheus: the namespaces given allow-scrapes are applied, the others must be", () => {
    const f = facts('all-unauthenticated', [ns('shop', 'deny'), ns('pay', 'deny'), ns('web', null)]);
    const w = scrapePolicyWarnings(f, bundled(['shop']));
    assert.deepEqual(
      w.map((x) => [x.code, x.namespaces]),
      [
        ['ALLOW_SCRAPES_APPLIED', ['shop']],
        ['SCRAPES_BLOCKED', ['pay']],
      ],
    );
    assert.match(w[0]!.message, /shop \(deny\).*allow-scrapes policies will be applied/);
    assert.match(w[1]!.message, /add them to allowScrapesNamespaces/);
  });

  it('a cluster-wide deny counts for namespaces without their own annotation', () => {
    const f = facts('deny', [ns('shop', null), ns('open', 'all-unauthenticated')]);
    const [w] = scrapePolicyWarnings(f, bundled());
    assert.deepEqual(w!.namespaces, ['shop']);
    assert.match(w!.message, /shop \(deny, the cluster default\)/);
  });

  it('an external Prometheus is also blocked by the authenticated policies, and allow-scrapes does not help it', () => {
    const f = facts('cluster-authenticated', [
      ns('shop', null),
      ns('open', 'all-unauthenticated'),
      ns('pay', 'deny'),
    ]);
    const w = scrapePolicyWarnings(f, {
      prometheusUrl: 'http://prom.monitoring:9090',
      allowScrapesNamespaces: [],
    });
    assert.deepEqual(
      w.map((x) => [x.code, x.namespaces]),
      [['EXTERNAL_PROMETHEUS_BLOCKED', ['shop', 'pay']]],
    );
    assert.match(w[0]!.message, /admit only viz's own Prometheus/);
  });
});
