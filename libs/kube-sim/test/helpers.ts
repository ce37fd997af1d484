// Shared test plumbing: a raw HTTPS client that trusts the simulator CA, polling with a
// deadline, and a small scenario for fast clusters.
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { ClusterHandle, Simulator } from '../src';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

export function call(
  sim: Simulator,
  handle: ClusterHandle | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const url = new URL((handle ? handle.url : sim.url) + path);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const send = url.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        ca: sim.caCertificate,
        headers: {
          ...(handle ? { Authorization: `Bearer ${handle.token}` } : {}),
          ...(payload !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const smallCluster = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  provider: 'eks' as const,
  region: 'us-east-1',
  kubernetesVersion: '1.31.4',
  nodes: 2,
  podReadyDelayMs: 30,
  ...extra,
});

export function deployment(
  name: string,
  namespace = 'default',
  replicas = 2,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: 'nginx:1.27' }] },
      },
      ...extra,
    },
  };
}
