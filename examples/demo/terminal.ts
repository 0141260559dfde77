/**
 * The demo's terminal output: steps with a spinner while they run, a progress bar for downloads,
 * and plain lines when stdout is not a terminal (CI logs, pipes).
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const tty = Boolean(process.stdout.isTTY);
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);

export const color = { dim: paint('2'), bold: paint('1'), green: paint('32'), red: paint('31'), cyan: paint('36'), yellow: paint('33') };

export class Terminal {
  #status: string | undefined;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  /** A line of output; a running spinner or progress bar is redrawn below it. */
  line(text: string): void {
    this.#clear();
    process.stdout.write(text + '\n');
    this.#draw();
  }

  /** Runs `work` with a spinner labelled `label`; prints ✔ or ✘ with the time taken. */
  async step<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.#setStatus(() => `${FRAMES[this.#frame++ % FRAMES.length]} ${label}`);
    try {
      const result = await work();
      this.#setStatus(undefined);
      this.line(`${color.green('✔')} ${label} ${color.dim(`(${((Date.now() - started) / 1000).toFixed(1)} s)`)}`);
      return result;
    } catch (error) {
      this.#setStatus(undefined);
      this.line(`${color.red('✘')} ${label}: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Shows a progress bar (on a terminal) for `done` of `total`; plain output prints every 25 %. */
  progress(label: string, done: number, total: number): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    if (!tty) {
      const quarter = Math.floor(ratio * 4);
      if (quarter !== this.#lastQuarter) process.stdout.write(`  ${label} ${Math.round(ratio * 100)}%\n`);
      this.#lastQuarter = quarter;
      return;
    }
    const width = 30;
    const filled = Math.round(ratio * width);
    this.#setStatus(() => `  ${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${formatBytes(done)}/${formatBytes(total)}`);
  }
  #lastQuarter = -1;

  endProgress(): void {
    this.#setStatus(undefined);
    this.#lastQuarter = -1;
  }

  close(): void {
    this.#setStatus(undefined);
  }

  #setStatus(render: (() => string) | undefined): void {
    this.#clear();
    this.#render = render;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (render && tty) {
      this.#timer = setInterval(() => { this.#clear(); this.#draw(); }, 100);
      this.#timer.unref();
    } else if (render) {
      process.stdout.write(render() + '\n');
      this.#render = undefined;
    }
    this.#draw();
  }
  #render: (() => string) | undefined;

  #draw(): void {
    if (tty && this.#render) process.stdout.write(this.#render());
    this.#status = this.#render ? 'shown' : undefined;
  }

  #clear(): void {
    if (tty && this.#status) process.stdout.write('\r\x1b[2K');
    this.#status = undefined;
  }
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}
