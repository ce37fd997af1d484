// Report sequence numbers. The API keeps the highest sequence per cluster and ignores anything
// not greater, so the sequence must keep growing across restarts without persisted state:
// it is based on wall-clock milliseconds, bumped when two reports fall in the same millisecond
// (or the clock steps back a little).
export class SequenceGenerator {
  private last = 0;
  constructor(private readonly clock: () => number = Date.now) {}

  next(): number {
    const now = Math.floor(this.clock());
    this.last = now > this.last ? now : this.last + 1;
    return this.last;
  }

  /** The last value handed out (0 before the first). */
  get current(): number {
    return this.last;
  }
}
