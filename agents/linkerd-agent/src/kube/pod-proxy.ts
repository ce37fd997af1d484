// GET through the API server's pod proxy subresource (`pods/<name>:<port>/proxy/<path>`), the
// way `kubectl get --raw` reaches a proxy's admin port without any inbound connectivity.
// Raw node:https so each request has its own timeout and a cap on the body it will buffer.
// One keep-alive pool per kubeconfig: a report scrapes dozens of proxies, and a TLS handshake per
// request was most of the scrape's CPU on a large cluster.
import * as http from 'node:http';
import * as https from 'node:https';
import type * as k8s from '@kubernetes/client-node';

export interface PodProxyRequest {
  namespace: string;
  pod: string;
  port: number;
  path: string;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface PodProxyResponse {
  status: number;
  body: string;
  truncated: boolean;
}

export class PodProxyError extends Error {
  constructor(
    message: string,
    readonly code: 'TIMEOUT' | 'NETWORK' | 'HTTP',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PodProxyError';
  }
}

export function podProxyGet(kc: k8s.KubeConfig, req: PodProxyRequest): Promise<PodProxyResponse> {
  const path = req.path.replace(/^\/+/, '');
  return apiGet(
    kc,
    `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/` +
      `${encodeURIComponent(req.pod)}:${req.port}/proxy/${path}`,
    req,
    'text/plain, */*',
  );
}

const pools = new WeakMap<k8s.KubeConfig, https.Agent>();

/**
 * A keep-alive agent with the TLS settings client-node chose for this kubeconfig; client-node's
 * own agent (a proxy agent, or plain http) when there is nothing to pool.
 */
function pooledAgent(
  kc: k8s.KubeConfig,
  agent: http.Agent | boolean | undefined,
): http.Agent | boolean | undefined {
  if (!(agent instanceof https.Agent) || kc.getCurrentCluster()?.proxyUrl) return agent;
  let pool = pools.get(kc);
  if (!pool) {
    pool = new https.Agent({ ...agent.options, keepAlive: true, maxSockets: 16, maxFreeSockets: 8 });
    pools.set(kc, pool);
  }
  return pool;
}

/** Closes the pooled connections of a kubeconfig (the agent is stopping). */
export function closeApiConnections(kc: k8s.KubeConfig): void {
  pools.get(kc)?.destroy();
  pools.delete(kc);
}

/** A bounded GET of any API server path (also used for metrics.k8s.io lists). */
export async function apiGet(
  kc: k8s.KubeConfig,
  apiPath: string,
  req: Pick<PodProxyRequest, 'timeoutMs' | 'maxBytes' | 'signal'>,
  accept = 'application/json',
): Promise<PodProxyResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new PodProxyError('kubeconfig has no current cluster', 'NETWORK');
  const url = new URL(server.replace(/\/+$/, '') + apiPath);
  const opts: https.RequestOptions = { method: 'GET', headers: { accept } };
  await kc.applyToHTTPSOptions(opts);
  opts.agent = pooledAgent(kc, opts.agent);
  const transport = url.protocol === 'https:' ? https : http;

  return new Promise<PodProxyResponse>((resolve, reject) => {
    const request = transport.request(url, { ...opts, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        if (size + chunk.length > req.maxBytes) {
          chunks.push(chunk.subarray(0, req.maxBytes - size));
          size = req.maxBytes;
          truncated = true;
          res.destroy();
          finish();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', finish);
      res.on('error', (e) => reject(new PodProxyError(e.message, 'NETWORK')));
      let done = false;
      function finish(): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), truncated });
      }
    });
    const timer = setTimeout(() => {
      request.destroy(new PodProxyError(`timed out after ${req.timeoutMs} ms`, 'TIMEOUT'));
    }, req.timeoutMs);
    request.on('error', (e) => {
      clearTimeout(timer);
      reject(e instanceof PodProxyError ? e : new PodProxyError(e.message, 'NETWORK'));
    });
    request.end();
  });
}
