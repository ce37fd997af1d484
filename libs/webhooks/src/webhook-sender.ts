// One HTTP attempt: POST with a hard timeout, no redirects followed, a bounded response read,
// connecting only to addresses the SSRF guard approved.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkedAddresses, HostAllowlist, Resolver } from './ssrf-guard';

export const MAX_RESPONSE_BYTES = 2048;

export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  error: string | null;
  retryAfter: string | null;
}

export interface SendOptions {
  timeoutMs: number;
  allowlist: HostAllowlist;
  resolve?: Resolver;
}

export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: SendOptions,
): Promise<AttemptResult> {
  const started = performance.now();
  const done = (r: Omit<AttemptResult, 'latencyMs'>): AttemptResult => ({
    ...r,
    latencyMs: Math.round(performance.now() - started),
  });
  const target = new URL(url);
  let addrs: { address: string; family: number }[];
  try {
    addrs = await checkedAddresses(target.hostname, opts.allowlist, opts.resolve);
  } catch (e) {
    return done({ statusCode: null, responseBody: null, error: (e as Error).message, retryAfter: null });
  }
  // Pinning the checked addresses defeats DNS rebinding between the check and the connect.
  const lookup: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all) (cb as (e: null, a: typeof addrs) => void)(null, addrs);
    else cb(null, addrs[0]!.address, addrs[0]!.family);
  };
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<AttemptResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve(done(r));
    };
    const req = client.request(
      target,
      {
        method: 'POST',
        lookup,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Meshfleet-Webhooks/1.0',
        },
        timeout: opts.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(c.subarray(0, MAX_RESPONSE_BYTES - size));
          size += c.length;
        });
        const complete = () => {
          const status = res.statusCode ?? 0;
          finish({
            statusCode: status,
            responseBody: Buffer.concat(chunks).toString('utf8'),
            error:
              status >= 300 && status < 400
                ? `redirect to ${res.headers.location ?? '?'} not followed`
                : null,
            retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          });
        };
        res.on('end', complete);
        res.on('error', complete);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)));
    req.on('error', (e) =>
      finish({ statusCode: null, responseBody: null, error: e.message, retryAfter: null }),
    );
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}
