/** Plain-text tables and progress bars (no colours, no dependencies). */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export function bar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

/**
 * Progress written to stderr: redrawn in place on a terminal, one line per change otherwise
 * (so logs and pipes read well).
 */
export class ProgressLine {
  private last = '';
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}
  update(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${text}`);
    else this.out.write(`${text}\n`);
  }
  done(): void {
    if (this.out.isTTY && this.last) this.out.write('\n');
  }
}
