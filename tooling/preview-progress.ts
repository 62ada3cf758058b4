/**
 * Progress of `npm run preview`. In a terminal, one line rewritten in place:
 * stacks done of all, elapsed time and an estimate of the time left. Elsewhere
 * (CI logs, pipes), where a rewritten line turns into noise, one plain line
 * per finished stack.
 */

import { ProgressOutput } from "../stacks/synth-progress";

export type { ProgressOutput };

export class PreviewProgress {
  private done = 0;
  private plannedMs = 0;
  private planned = 0;
  private lastFinished = Date.now();
  private readonly started = Date.now();
  private readonly timer?: NodeJS.Timeout;

  /**
   * @param total number of stacks of this run
   * @param jobs how many stacks are planned at once (for the estimate)
   * @param output where to write; @default process.stdout
   */
  constructor(
    private readonly total: number,
    private readonly jobs: number,
    private readonly output: ProgressOutput = process.stdout,
  ) {
    if (output.isTTY) {
      this.render();
      // The elapsed time moves while a plan runs; unref: the timer never keeps the process alive.
      this.timer = setInterval(() => this.render(), 1000);
      this.timer.unref();
    }
  }

  /**
   * A stack is done. `line` describes it (printed as is outside a terminal);
   * `plannedMs` is its time when it was planned, for the estimate (skipped
   * stacks take no time and would make the estimate too low).
   */
  finished(line: string, plannedMs?: number): void {
    this.done++;
    this.lastFinished = Date.now();
    if (plannedMs !== undefined) {
      this.planned++;
      this.plannedMs += plannedMs;
    }
    if (this.output.isTTY) this.render();
    else this.output.write(`[${this.done}/${this.total}] ${line}\n`);
  }

  /** Stops the updates and clears the progress line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.output.isTTY) this.output.write("\r\x1b[2K");
  }

  private render(): void {
    const elapsed = Date.now() - this.started;
    const left = this.total - this.done;
    let estimate = "estimating time left";
    if (left === 0) estimate = "finishing";
    else if (this.planned > 0) {
      // The average plan time for each round of `jobs` stacks still to go, less what the running round has already spent.
      const ms = (this.plannedMs / this.planned) * Math.ceil(left / this.jobs) - (Date.now() - this.lastFinished);
      estimate = `about ${seconds(Math.max(ms, 0))} left`;
    }
    this.output.write(`\r\x1b[2Kpreview: ${this.done} of ${this.total} stacks done, ${seconds(elapsed)} elapsed, ${estimate}`);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
