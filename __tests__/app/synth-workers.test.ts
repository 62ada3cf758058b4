/**
 * The compiled app synthesizes accounts in worker threads: the output is the
 * same bytes with one thread or several, a worker's error fails the synth,
 * and a bad worker count is refused.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadConfig } from "../../config/load-config";
import { SYNTH_WORKERS_ENV } from "../../stacks/synthesize-app";
import { snapshot } from "../support/output-folder";
import { REPO } from "../support/stack-config";

const MAIN = path.join(REPO, "dist", "main.js");
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-workers-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runMain(outdir: string, workers: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, [SYNTH_WORKERS_ENV]: workers, CHECKPOINT_DISABLE: "1" };
  delete env.LAMBDA_KMS_CONFIG;
  delete env.CDKTF_CONTEXT_JSON;
  const result = spawnSync(process.execPath, [MAIN], { cwd: REPO, env, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("two worker threads write the same bytes as one thread, reports and manifest included", () => {
  // Without the compiled worker the app would quietly use one thread.
  expect(fs.existsSync(path.join(REPO, "dist", "stacks", "synth-worker.js"))).toBe(true);
  const outdir = path.join(tmp, "cdktf.out");
  expect(runMain(outdir, "1").status).toBe(0);
  const oneThread = snapshot(outdir);
  fs.rmSync(outdir, { recursive: true });
  const twoWorkers = runMain(outdir, "2");
  expect(twoWorkers.status).toBe(0);
  expect(snapshot(outdir)).toEqual(oneThread);
  expect(Object.keys(oneThread)).toEqual(expect.arrayContaining(["manifest.json", "access.json", "access.md", "compliance.json", "stacks/production-eu-west-1/cdk.tf.json"]));
});

test(`a bad ${SYNTH_WORKERS_ENV} is refused, naming the variable, the value and what it takes`, () => {
  const result = runMain(path.join(tmp, "bad-workers"), "0");
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`${SYNTH_WORKERS_ENV} must be a positive whole number of worker threads (1 synthesizes in the main thread), got "0"`);
  expect(fs.existsSync(path.join(tmp, "bad-workers"))).toBe(false);
});

test("an error in a worker fails the synth with the worker's message and stops the other workers", async () => {
  // The compiled pool, as the app runs it; a staging folder that does not exist makes each group fail.
  const { synthesizeInWorkers } = (await import(path.join(REPO, "dist", "stacks", "synth-workers.js"))) as typeof import("../../stacks/synth-workers");
  const config = loadConfig(path.join(REPO, "config", "default.json"));
  const staging = path.join(tmp, "missing", "staging");
  const finished = jest.fn();
  await expect(
    synthesizeInWorkers(
      { config, finalOutdir: path.join(tmp, "never"), staging, failOnWarnings: false, storeFile: undefined, hashFiles: false },
      [
        { index: 0, accounts: [config.accounts[0]] },
        { index: 1, accounts: [config.accounts[1]] },
      ],
      2,
      finished,
    ),
  ).rejects.toThrow(/ENOENT.*missing\/staging\/\.group-/);
  expect(finished).not.toHaveBeenCalled();
});
