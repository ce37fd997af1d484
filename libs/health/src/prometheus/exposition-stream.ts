import type { Request, Response } from 'express';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { EXPOSITION_CONTENT_TYPE } from './exposition';

/**
 * Sends exposition chunks as they are made, gzip-compressed when the scraper accepts it (Prometheus
 * does): at fleet scale the text is tens of MiB and compresses about twentyfold. The fastest level
 * is used, since the scrape's latency is what counts.
 */
export async function sendExposition(req: Request, res: Response, chunks: Iterable<Buffer>): Promise<void> {
  res.status(200).setHeader('content-type', EXPOSITION_CONTENT_TYPE);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('vary', 'accept-encoding');
  if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
    res.setHeader('content-encoding', 'gzip');
    try {
      await pipeline(Readable.from(chunks), createGzip({ level: constants.Z_BEST_SPEED }), res);
    } catch {
      res.destroy(); // the scraper went away mid-body: nothing left to tell it
    }
    return;
  }
  await writeAll(res, chunks);
}

async function writeAll(out: Writable & { destroyed: boolean }, chunks: Iterable<Buffer>): Promise<void> {
  for (const chunk of chunks) {
    if (out.destroyed) return; // the scraper gave up
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
}
