import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod } from '../testing/cluster.fixture';
import { parsePrometheusText } from './prometheus-text';
import { combineTraffic, podTraffic } from './traffic-coverage';

const METRICS = `
# TYPE tcp_open_total counter
tcp_open_total{direction="inbound",peer="src",target_addr="10.0.1.1:8080",tls="true",client_id="web.shop.serviceaccount.identity.linkerd.cluster.local"} 80
tcp_open_total{direction="inbound",peer="src",target_addr="10.0.1.1:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 30
tcp_open_total{direction="inbound",peer="src",target_addr="127.0.0.1:8080",tls="no_identity",no_tls_reason="loopback"} 500
tcp_open_total{direction="outbound",peer="dst",tls="true",server_id="db.shop.serviceaccount.identity.linkerd.cluster.local"} 999
# TYPE request_total counter
request_total{direction="inbound",authority="web.shop.svc.cluster.local:8080",tls="true",client_id="x"} 900
request_total{direction="inbound",authority="web.shop.svc.cluster.local:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 100
request_total{direction="inbound",authority="10.0.1.1:8080",tls="no_identity",no_tls_reason="no_tls_from_remote"} 20
request_total{direction="inbound",authority="localhost:8080",tls="no_identity",no_tls_reason="loopback"} 70
request_total{direction="outbound",authority="db.shop.svc.cluster.local:5432",tls="true"} 5000
`;

describe('traffic coverage from proxy metrics', () => {
  const web = pod({ ns: 'shop', name: 'web-1', ip: '10.0.1.1', probePort: 8080 });

  it('counts inbound tls="true" shares, excluding loopback and kubelet probes', () => {
    const t = podTraffic(parsePrometheusText(METRICS).samples, web);
    // 20 probe requests to the pod IP on its probe port are dropped; each cost one plaintext connection.
    assert.deepEqual(t.requests, { tls: 900, total: 1000, seen: true });
    assert.deepEqual(t.connections, { tls: 80, total: 90, seen: true });
  });

  it('keeps plaintext to the pod IP when the port is not probed', () => {
    const noProbes = pod({ ns: 'shop', name: 'web-1', ip: '10.0.1.1' });
    const t = podTraffic(parsePrometheusText(METRICS).samples, noProbes);
    assert.equal(t.requests.total, 1020);
  });

  it('drops requests labelled as the probe route', () => {
    const t = podTraffic(
      parsePrometheusText('request_total{direction="inbound",tls="no_identity",route_name="probe"} 50')
        .samples,
      undefined,
    );
    assert.deepEqual(t.requests, { tls: 0, total: 0, seen: true });
  });

  it('combines pods and is null where no proxy exported the metric', () => {
    const a = podTraffic(
      parsePrometheusText('request_total{direction="inbound",tls="true"} 3').samples,
      undefined,
    );
    const b = podTraffic(
      parsePrometheusText('request_total{direction="inbound",tls="disabled"} 1').samples,
      undefined,
    );
    const c = combineTraffic([a, b]);
    assert.deepEqual(c.requests, { tls: 3, total: 4, share: 0.75 });
    assert.equal(c.connections, null);
    assert.equal(c.podsScraped, 2);
    assert.deepEqual(combineTraffic([]), { connections: null, requests: null, podsScraped: 0 });
  });

  it('gives a null share (not 0%) when all traffic was excluded', () => {
    const t = podTraffic(
      parsePrometheusText('request_total{direction="inbound",no_tls_reason="loopback"} 9').samples,
      undefined,
    );
    assert.deepEqual(combineTraffic([t]).requests, { tls: 0, total: 0, share: null });
  });
});

describe('traffic to the proxy admin port', () => {
  it('is never counted: it carries the proxy probes and scrapes', () => {
    const text = [
      'request_total{direction="inbound",authority="10.0.1.1:4191",target_addr="10.0.1.1:4191",tls="no_identity",no_tls_reason="no_tls_from_remote"} 360',
      'tcp_open_total{direction="inbound",peer="src",target_addr="10.0.1.1:4191",tls="no_identity",no_tls_reason="no_tls_from_remote"} 360',
      'request_total{direction="inbound",authority="web.shop.svc.cluster.local:8080",target_addr="10.0.1.1:8080",tls="true"} 40',
      'tcp_open_total{direction="inbound",peer="src",target_addr="10.0.1.1:8080",tls="true"} 4',
    ].join('\n');
    const c = combineTraffic([podTraffic(parsePrometheusText(text).samples, undefined)]);
    assert.deepEqual(c.requests, { tls: 40, total: 40, share: 1 });
    assert.deepEqual(c.connections, { tls: 4, total: 4, share: 1 });
  });
});
