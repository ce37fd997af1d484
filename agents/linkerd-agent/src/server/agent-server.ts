// The agent's own endpoints for the kubelet and Prometheus: /healthz (200 once informers are
// synced and the agent holds a credential, else 503 with the reason), /livez (the process
// answers: a liveness probe must not restart an agent that merely waits for the API) and /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface AgentServerDeps {
  host: string;
  port: number;
  health: () => { ok: boolean; detail: Record<string, unknown> };
  registry: Registry;
}

export interface AgentServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startAgentServer(d: AgentServerDeps): Promise<AgentServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const h = d.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
      return;
    }
    if (path === '/metrics') {
      d.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': d.registry.contentType }).end(text);
        },
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(d.port, d.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
