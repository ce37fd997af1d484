// TCP servers probed by the kubelet and databases with plaintext clients (issue 13, item 7).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { healthyCluster, NOW } from '../testing/cluster.fixture';
import { makePki, type TestPki } from '../testing/pki.fixture';
import {
  httpServerMetrics,
  tcpServerMetrics,
  tcpServerPod,
  TCP_PROBE_CONNECTIONS,
  type TcpServer,
} from '../testing/proxy-metrics.fixture';
import { mtlsStatus } from '../mtls/mtls-status';
import { parsePrometheusText } from './prometheus-text';
import { tcpProbeBudget } from './probes';
import { headlineTrafficCoverage, podTraffic } from './traffic-coverage';

const REDIS: TcpServer = {
  ns: 'shop',
  name: 'redis-0',
  ip: '10.0.1.20',
  port: 6379,
  serviceAccount: 'redis',
};
const PG: TcpServer = {
  ns: 'shop',
  name: 'postgres-0',
  ip: '10.0.1.30',
  port: 5432,
  serviceAccount: 'postgres',
};
const WEB: TcpServer = { ns: 'shop', name: 'web-0', ip: '10.0.1.40', port: 8080, serviceAccount: 'web' };
const CLIENT = 'web.shop.serviceaccount.identity.linkerd.cluster.local';

describe('TCP traffic coverage', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('reads 1.0 for a fully meshed TCP server whose only plaintext is the kubelet tcpSocket probes', () => {
    const s = healthyCluster(pki);
    s.pods.push(tcpServerPod(REDIS));
    const m = mtlsStatus(s, {
      sampled: false,
      errors: [],
      scrapes: [
        {
          namespace: 'shop',
          pod: 'redis-0',
          text: tcpServerMetrics(REDIS, { meshed: 40, plaintext: 0, client: CLIENT }),
        },
      ],
    });
    assert.deepEqual(m.trafficCoverage.connections, { tls: 40, total: 40, share: 1 });
    assert.equal(headlineTrafficCoverage(m.trafficCoverage), 1);
  });

  it('keeps plaintext clients of a probed port beyond what the probe schedule explains', () => {
    const pod = tcpServerPod(PG);
    const text = tcpServerMetrics(PG, { meshed: 100, plaintext: 100, client: CLIENT });
    const t = podTraffic(parsePrometheusText(text).samples, pod, NOW);
    // The budget allows one extra connection per probe for jitter: at most 2 real ones hidden.
    assert.equal(tcpProbeBudget(pod, NOW).get(5432), TCP_PROBE_CONNECTIONS + 2);
    assert.deepEqual(t.connections, { tls: 100, total: 198, seen: true });
  });

  it('discounts nothing without the proxy start time or a tcpSocket probe', () => {
    const pod = tcpServerPod(PG);
    pod.status!.initContainerStatuses![0]!.state = {};
    delete pod.status!.startTime;
    assert.equal(tcpProbeBudget(pod, NOW).size, 0);
    const text = tcpServerMetrics(PG, { meshed: 100, plaintext: 0, client: CLIENT });
    assert.equal(
      podTraffic(parsePrometheusText(text).samples, pod, NOW).connections.total,
      100 + TCP_PROBE_CONNECTIONS,
    );
  });

  it('makes the headline the worse of requests and connections: 90 % meshed HTTP, half the DB in clear', () => {
    const s = healthyCluster(pki);
    s.pods.push(tcpServerPod(PG), tcpServerPod(WEB));
    const m = mtlsStatus(s, {
      sampled: false,
      errors: [],
      scrapes: [
        {
          namespace: 'shop',
          pod: 'web-0',
          text: httpServerMetrics(WEB, {
            meshedRequests: 900,
            plaintextRequests: 100,
            meshedConnections: 9,
            plaintextConnections: 1,
            client: CLIENT,
          }),
        },
        {
          namespace: 'shop',
          pod: 'postgres-0',
          text: tcpServerMetrics(PG, { meshed: 200, plaintext: 200, client: CLIENT }),
        },
      ],
    });
    assert.equal(m.trafficCoverage.requests?.share, 0.9);
    const connections = m.trafficCoverage.connections!;
    assert.equal(connections.tls, 209);
    // The web pod is tcpSocket-probed too, so its 1 plaintext connection falls within its probe
    // budget, as do 2 of the 200 plaintext DB connections (the jitter allowance).
    assert.equal(connections.total, 407);
    const headline = headlineTrafficCoverage(m.trafficCoverage)!;
    assert.equal(headline, 209 / 407);
    assert.ok(headline < 0.52);
  });

  it('is null only when neither measure exists', () => {
    assert.equal(headlineTrafficCoverage({ requests: null, connections: null }), null);
    assert.equal(
      headlineTrafficCoverage({ requests: null, connections: { tls: 1, total: 2, share: 0.5 } }),
      0.5,
    );
    assert.equal(
      headlineTrafficCoverage({
        requests: { tls: 0, total: 0, share: null },
        connections: { tls: 3, total: 4, share: 0.75 },
      }),
      0.75,
    );
  });
});
