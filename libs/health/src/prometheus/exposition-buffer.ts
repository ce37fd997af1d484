/** How many bytes are built before a chunk is handed to the socket. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * An append-only byte buffer for exposition text, taken in chunks of about CHUNK_BYTES: copying
 * pre-encoded parts into it is what keeps a 10,000-cluster scrape from allocating a string per
 * line piece (the garbage collector was most of the cost).
 */
export class ExpositionBuffer {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES * 2);
  private pos = 0;

  bytes(b: Buffer): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Appends text as UTF-8. */
  text(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  full(): boolean {
    return this.pos >= CHUNK_BYTES;
  }

  /** The bytes written so far (a fresh buffer takes their place). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES * 2);
    this.pos = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
