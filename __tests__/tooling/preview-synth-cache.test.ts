/**
 * When `npm run preview` may skip the synth (tooling/preview-synth-cache.ts):
 * only when nothing the synth reads changed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AppConfig } from "../../config/app-config";
import { forgetSynth, recordSynth, synthKey, unchangedSynth } from "../../tooling/preview-synth-cache";

let root: string;
let code: string;
let config: AppConfig;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "preview-synth-cache-"));
  code = path.join(root, "code");
  for (const dir of ["dist", "patches", "node_modules", "code"]) fs.mkdirSync(path.join(root, dir), { recursive: true });
  fs.writeFileSync(path.join(root, "dist", "main.js"), "app v1");
  fs.writeFileSync(path.join(root, "node_modules", ".package-lock.json"), "{}");
  fs.writeFileSync(path.join(code, "index.js"), "handler v1");
  config = { project: "p", functions: [{ name: "fn", codeDirectory: code }] } as unknown as AppConfig;
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  delete process.env.CDKTF_CONTEXT_JSON;
});

test("the key stays for the same inputs, also when a build rewrites dist/ with the same bytes", () => {
  const key = synthKey(config, root);
  expect(key).toMatch(/^[0-9a-f]{64}$/);
  const later = new Date(Date.now() + 60_000);
  fs.writeFileSync(path.join(root, "dist", "main.js"), "app v1");
  fs.utimesSync(path.join(root, "dist", "main.js"), later, later);
  expect(synthKey(config, root)).toBe(key);
});

test.each([
  ["a function's code", () => fs.writeFileSync(path.join(code, "index.js"), "handler v2")],
  ["a new file in a function's code folder", () => fs.writeFileSync(path.join(code, "extra.js"), "")],
  ["the compiled app", () => fs.writeFileSync(path.join(root, "dist", "main.js"), "app v2")],
  ["the installed packages", () => fs.writeFileSync(path.join(root, "node_modules", ".package-lock.json"), '{"v":2}')],
  ["the patches", () => fs.writeFileSync(path.join(root, "patches", "p.patch"), "diff")],
  ["the configuration", () => (config = { ...config, project: "q" } as AppConfig)],
  ["the CDKTF_ environment", () => (process.env.CDKTF_CONTEXT_JSON = "{}")],
])("the key changes with %s", (_what, change) => {
  const key = synthKey(config, root);
  change();
  expect(synthKey(config, root)).not.toBe(key);
});

test("a configuration that does not serialize faithfully has no key: the synth always runs", () => {
  expect(synthKey({ ...config, hook: () => undefined } as unknown as AppConfig, root)).toBeUndefined();
  expect(unchangedSynth(root, path.join(root, "out"), undefined)).toBeUndefined();
});

test("the last synth counts only with the same key, every stack folder present, and until it is forgotten", () => {
  const outdir = path.join(root, "out");
  for (const stack of ["a", "b"]) {
    fs.mkdirSync(path.join(outdir, "stacks", stack), { recursive: true });
    fs.writeFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "{}");
  }
  recordSynth(root, { key: "k1", stacks: ["a", "b"] });
  expect(unchangedSynth(root, outdir, "k1")).toEqual({ key: "k1", stacks: ["a", "b"] });
  expect(unchangedSynth(root, outdir, "k2")).toBeUndefined();
  fs.rmSync(path.join(outdir, "stacks", "b", "cdk.tf.json"));
  expect(unchangedSynth(root, outdir, "k1")).toBeUndefined();
  fs.writeFileSync(path.join(outdir, "stacks", "b", "cdk.tf.json"), "{}");
  forgetSynth(root);
  expect(unchangedSynth(root, outdir, "k1")).toBeUndefined();
});
