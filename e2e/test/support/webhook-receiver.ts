// A local webhook receiver on 127.0.0.1: keeps each request's raw body and headers, exactly as
// they arrived, so a test can verify the signature over the bytes that were signed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  body: { type: string; timestamp: string; data: Record<string, any> };
}

export interface WebhookReceiver {
  url: string;
  readonly received: ReceivedWebhook[];
  until(ok: (r: ReceivedWebhook) => boolean, timeoutMs: number, what: string): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: ReceivedWebhook['body'];
      try {
        body = JSON.parse(rawBody) as ReceivedWebhook['body'];
      } catch {
        res.writeHead(400).end('not JSON');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      received.push({ path: req.url ?? '', headers, rawBody, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    async until(ok, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(ok);
        if (found) return found;
        if (Date.now() > deadline) {
          const types = received.map((r) => `${r.body.type}:${r.body.data['alert']?.kind ?? ''}`);
          throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(types)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
