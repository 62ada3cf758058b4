/**
 * Progress of a long synth, in a terminal only: after the first seconds, one
 * line rewritten in place (accounts done of all, stacks written, elapsed time
 * and an estimate of the time left), cleared at the end. A synth of a few
 * accounts finishes before it would show; in CI logs and pipes, where a
 * rewritten line is noise, nothing is written.
 */
/** Where the progress goes (`process.stderr`, or a stand-in in tests). */
export interface ProgressOutput {
  /** Whether the output is a terminal. */
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Nothing shows before this much time has passed. */
const QUIET_MS = 2000;

export class SynthProgress {
  private readonly started = Date.now();
  private shown = false;

  /**
   * @param total accounts to synthesize
   * @param output where to write; only a terminal gets anything
   */
  constructor(
    private readonly total: number,
    private readonly output: ProgressOutput,
  ) {}

  /** `done` accounts are synthesized, into `stacks` stacks so far. */
  update(done: number, stacks: number): void {
    const elapsed = Date.now() - this.started;
    if (!this.output.isTTY || elapsed < QUIET_MS || done === 0) return;
    const left = ((this.total - done) * elapsed) / done;
    this.output.write(`\r\x1b[2Ksynth: ${done} of ${this.total} accounts, ${stacks} stacks, ${seconds(elapsed)} elapsed, about ${seconds(left)} left`);
    this.shown = true;
  }

  /** Clears the line, if one was shown. */
  stop(): void {
    if (this.shown) this.output.write("\r\x1b[2K");
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
