/**
 * The preview's progress: a line rewritten in place in a terminal, plain
 * lines elsewhere (tooling/preview-progress.ts).
 */
import { PreviewProgress } from "../../tooling/preview-progress";

function output(isTTY: boolean): { isTTY: boolean; text: string; write(text: string): void } {
  return {
    isTTY,
    text: "",
    write(text: string) {
      this.text += text;
    },
  };
}

test("outside a terminal: one plain line per finished stack, numbered, and no control characters", () => {
  const out = output(false);
  const progress = new PreviewProgress(3, 2, out);
  progress.finished("✓ a: planned 1 to add", 1000);
  progress.finished("– b: skipped");
  progress.stop();
  expect(out.text).toBe("[1/3] ✓ a: planned 1 to add\n[2/3] – b: skipped\n");
});

test("in a terminal: one line rewritten in place with done of all, elapsed and an estimate, cleared at the end", () => {
  const out = output(true);
  const progress = new PreviewProgress(3, 1, out);
  expect(out.text).toMatch(/^\r\x1b\[2Kpreview: 0 of 3 stacks done, \d+ s elapsed, estimating time left$/);
  progress.finished("– b: skipped");
  // A skipped stack took no time: still no estimate.
  expect(out.text).toMatch(/\r\x1b\[2Kpreview: 1 of 3 stacks done, \d+ s elapsed, estimating time left$/);
  progress.finished("✓ a: planned 1 to add", 10_000);
  expect(out.text).toMatch(/\r\x1b\[2Kpreview: 2 of 3 stacks done, \d+ s elapsed, about \d+ s left$/);
  progress.finished("✓ c: planned 1 to add", 10_000);
  expect(out.text).toMatch(/\r\x1b\[2Kpreview: 3 of 3 stacks done, \d+ s elapsed, finishing$/);
  progress.stop();
  expect(out.text.endsWith("\r\x1b[2K")).toBe(true);
  expect(out.text).not.toContain("\n");
});
