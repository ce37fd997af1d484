import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { evaluateReadiness, ReadinessCheck } from './readiness';

interface Source {
  checks: ReadinessCheck[];
  registry: Registry;
}

/**
 * /healthz, /readyz and /metrics for a process without an HTTP API (the worker). It listens
 * before the process has finished starting, so probes get an answer (503 "starting") while
 * modules connect; the process attaches its checks and registry once they exist.
 */
export class HealthServer {
  private readonly server: Server;
  private source: Source | null = null;
  private stopping = false;

  constructor() {
    this.server = createServer((req, res) => void this.answer(req, res));
  }

  async listen(port: number, host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    if (!a) return '';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${a.port}`;
  }

  attach(source: Source): void {
    this.source = source;
  }

  /** From now on /readyz answers 503 "shutting down" (a rolling update drains this replica). */
  markStopping(): void {
    this.stopping = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' });
      if (path === '/healthz') return send(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        if (this.stopping) return notReady(res, 'shutting down');
        if (!this.source) return notReady(res, 'starting');
        const r = await evaluateReadiness(this.source.checks);
        return send(res, r.ready ? 200 : 503, r.body);
      }
      if (path === '/metrics') {
        if (!this.source) return send(res, 503, { error: 'starting' });
        const text = await this.source.registry.metrics();
        res.writeHead(200, { 'content-type': this.source.registry.contentType });
        res.end(text);
        return;
      }
      send(res, 404, { error: 'NOT_FOUND', message: `No route ${path}` });
    } catch {
      if (!res.headersSent) send(res, 500, { error: 'INTERNAL', message: 'Internal server error' });
      else res.destroy();
    }
  }
}

function notReady(res: ServerResponse, reason: string): void {
  send(res, 503, { status: 'not ready', reason, checks: [] });
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
