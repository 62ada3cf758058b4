import { SynthProgress } from "../../stacks/synth-progress";

function output(isTTY: boolean): { isTTY: boolean; text: string; write(text: string): boolean } {
  return {
    isTTY,
    text: "",
    write(text: string) {
      this.text += text;
      return true;
    },
  };
}

let now = 0;
beforeEach(() => {
  now = 1_000_000;
  jest.spyOn(Date, "now").mockImplementation(() => now);
});
afterEach(() => jest.restoreAllMocks());

test("in a terminal, a synth that takes more than 2 s shows accounts done, stacks, elapsed time and time left, then clears the line", () => {
  const terminal = output(true);
  const progress = new SynthProgress(10, terminal);
  now += 1000;
  progress.update(1, 5);
  expect(terminal.text).toBe("");
  now += 3000;
  progress.update(4, 20);
  expect(terminal.text).toBe("\r\x1b[2Ksynth: 4 of 10 accounts, 20 stacks, 4 s elapsed, about 6 s left");
  progress.stop();
  expect(terminal.text.endsWith("\r\x1b[2K")).toBe(true);
});

test("outside a terminal (CI logs, pipes) nothing is written", () => {
  const log = output(false);
  const progress = new SynthProgress(10, log);
  now += 60_000;
  progress.update(5, 25);
  progress.stop();
  expect(log.text).toBe("");
});

test("a synth too short to show anything clears nothing", () => {
  const terminal = output(true);
  const progress = new SynthProgress(2, terminal);
  progress.update(2, 10);
  progress.stop();
  expect(terminal.text).toBe("");
});
