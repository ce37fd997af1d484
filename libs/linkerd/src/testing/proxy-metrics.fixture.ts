// Proxy /metrics text shaped like a real linkerd-proxy scrape (HELP/TYPE lines, inbound labels
// target_addr/target_ip/target_port, tls, no_tls_reason, srv_kind/srv_name, client_id,
// tcp_close_total with errno), for TCP servers probed by the kubelet with `tcpSocket` and for
// databases with plaintext clients. Written for these tests; numbers are chosen so the expected
// shares are exact.
import type { V1Pod } from '@kubernetes/client-node';
import { NOW } from './cluster.fixture';

/** The proxies below started an hour before NOW: 360 probe periods of 10 s. */
export const PROXY_STARTED = new Date(NOW.getTime() - 3600_000);
/** liveness + readiness, one connection each per 10 s period, plus the first at start. */
export const TCP_PROBE_CONNECTIONS = 2 * 361;

export interface TcpServer {
  ns: string;
  name: string;
  ip: string;
  port: number;
  serviceAccount: string;
}

/** A meshed pod whose app container is probed with `tcpSocket` on its (named) port. */
export function tcpServerPod(s: TcpServer): V1Pod {
  const probe = { tcpSocket: { port: 'tcp' }, periodSeconds: 10 } as const;
  return {
    metadata: {
      namespace: s.ns,
      name: s.name,
      labels: { 'linkerd.io/control-plane-ns': 'linkerd' },
      annotations: { 'linkerd.io/proxy-version': 'edge-26.6.3' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: s.name.replace(/-\d+$/, ''), uid: 'u' },
      ],
    },
    spec: {
      serviceAccountName: s.serviceAccount,
      initContainers: [
        {
          name: 'linkerd-proxy',
          image: 'cr.l5d.io/linkerd/proxy:edge-26.6.3',
          restartPolicy: 'Always',
          ports: [
            { name: 'linkerd-proxy', containerPort: 4143 },
            { name: 'linkerd-admin', containerPort: 4191 },
          ],
        },
      ],
      containers: [
        {
          name: 'server',
          image: 'example/server:1.0',
          ports: [{ name: 'tcp', containerPort: s.port }],
          livenessProbe: probe,
          readinessProbe: probe,
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: s.ip,
      podIPs: [{ ip: s.ip }],
      startTime: PROXY_STARTED,
      initContainerStatuses: [
        {
          name: 'linkerd-proxy',
          ready: true,
          restartCount: 0,
          image: 'cr.l5d.io/linkerd/proxy:edge-26.6.3',
          imageID: '',
          started: true,
          state: { running: { startedAt: PROXY_STARTED } },
        },
      ],
      containerStatuses: [
        { name: 'server', ready: true, restartCount: 0, image: 'example/server:1.0', imageID: '' },
      ],
    },
  };
}

const HEADER = `# HELP tcp_open_total Total count of opened connections
# TYPE tcp_open_total counter
`;

const inbound = (s: TcpServer) =>
  `direction="inbound",peer="src",target_addr="${s.ip}:${s.port}",target_ip="${s.ip}",target_port="${s.port}"`;
const ADMIN =
  'direction="inbound",peer="src",target_addr="0.0.0.0:4191",target_ip="0.0.0.0",target_port="4191"';
const PLAIN =
  'tls="no_identity",no_tls_reason="no_tls_from_remote",srv_kind="default",srv_name="all-unauthenticated"';
const meshedFrom = (client: string) =>
  `tls="true",client_id="${client}",srv_kind="default",srv_name="all-unauthenticated"`;

/**
 * One TCP server's scrape: `meshed` connections from meshed clients, `plaintext` from unmeshed
 * clients, plus the kubelet's probe connections (plaintext too) and Prometheus on the admin port.
 */
export function tcpServerMetrics(
  s: TcpServer,
  o: { meshed: number; plaintext: number; client: string },
): string {
  const plain = o.plaintext + TCP_PROBE_CONNECTIONS;
  return (
    HEADER +
    [
      `tcp_open_total{${inbound(s)},${meshedFrom(o.client)}} ${o.meshed}`,
      `tcp_open_total{${inbound(s)},${PLAIN}} ${plain}`,
      `tcp_open_total{${ADMIN},${PLAIN}} 240`,
      `tcp_open_total{direction="outbound",peer="dst",target_addr="10.96.0.10:53",target_ip="10.96.0.10",target_port="53",tls="no_identity",no_tls_reason="not_provided_by_service_discovery"} 12`,
      '# HELP tcp_close_total Total count of closed connections',
      '# TYPE tcp_close_total counter',
      `tcp_close_total{${inbound(s)},${meshedFrom(o.client)},errno=""} ${o.meshed - 2}`,
      `tcp_close_total{${inbound(s)},${PLAIN},errno=""} ${plain}`,
      `tcp_close_total{${ADMIN},${PLAIN},errno=""} 239`,
      '# HELP tcp_open_connections Number of currently-open connections',
      '# TYPE tcp_open_connections gauge',
      `tcp_open_connections{${inbound(s)},${meshedFrom(o.client)}} 2`,
    ].join('\n') +
    '\n'
  );
}

/** An HTTP server's scrape: `share` of its inbound requests (and connections) over mTLS. */
export function httpServerMetrics(
  s: TcpServer,
  o: {
    meshedRequests: number;
    plaintextRequests: number;
    meshedConnections: number;
    plaintextConnections: number;
    client: string;
  },
): string {
  const labels = `${inbound(s)}`.replace(',peer="src"', '');
  return [
    '# HELP request_total Total count of HTTP requests.',
    '# TYPE request_total counter',
    `request_total{${labels},authority="web.shop.svc.cluster.local:${s.port}",${meshedFrom(o.client)},authz_kind="default",authz_name="all-unauthenticated"} ${o.meshedRequests}`,
    `request_total{${labels},authority="web.shop.svc.cluster.local:${s.port}",${PLAIN},authz_kind="default",authz_name="all-unauthenticated"} ${o.plaintextRequests}`,
    HEADER.trimEnd(),
    `tcp_open_total{${inbound(s)},${meshedFrom(o.client)}} ${o.meshedConnections}`,
    `tcp_open_total{${inbound(s)},${PLAIN}} ${o.plaintextConnections}`,
    '',
  ].join('\n');
}
