/**
 * Progress for long work: a redrawn bar on a terminal, a plain line every few
 * percent when stderr is a file or pipe (so logs stay readable).
 */
export class Progress {
  private done = 0;
  private lastPlainPercent = -1;
  private readonly start = Date.now();
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr,
    private readonly enabled = total > 1,
    // Without a terminal, a handful of files needs no progress lines.
    private readonly minPlainTotal = 20,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  tick(detail = ''): void {
    this.done++;
    if (!this.enabled) return;
    const percent = Math.floor((this.done / this.total) * 100);
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-3);
    const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : 0;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((this.done / this.total) * width);
      const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
      const line = `${this.label} ${bar} ${this.done}/${this.total} ${rate.toFixed(1)}/s ETA ${eta}s ${detail}`;
      const cols = this.stream.columns ?? 100;
      this.stream.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
      if (this.done === this.total) this.stream.write('\n');
    } else if (this.total >= this.minPlainTotal && (percent >= this.lastPlainPercent + 10 || this.done === this.total)) {
      this.lastPlainPercent = percent;
      this.stream.write(`${this.label}: ${this.done}/${this.total} (${percent}%), ${rate.toFixed(1)}/s, ETA ${eta}s\n`);
    }
  }
}
