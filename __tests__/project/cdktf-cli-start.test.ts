/**
 * The patches in patches/ that keep the cdktf CLI's start short (see
 * docs/performance.md, "The cdktf CLI's own start"): what the CLI loads on
 * every command but only `cdktf convert`, `cdktf debug` or `--hcl` use is
 * loaded, started or spawned on first use, and still works then.
 * Each check runs in a fresh Node.js process, as the CLI does.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "..", "..");

let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cdktf-cli-start-"));
  // Loaded with node -r: records every process spawned in globalThis.spawnedCommands, and prints them as JSON when the process exits.
  fs.writeFileSync(
    path.join(tmp, "record-spawns.js"),
    [
      'const childProcess = require("child_process");',
      "const spawned = (globalThis.spawnedCommands = []);",
      "const spawn = childProcess.spawn;",
      "childProcess.spawn = function (command, args, ...rest) {",
      '  spawned.push([command, ...(Array.isArray(args) ? args : [])].join(" "));',
      "  return spawn.call(this, command, args, ...rest);",
      "};",
      'process.on("exit", () => process.stderr.write(`\\nSPAWNED ${JSON.stringify(spawned)}\\n`));',
    ].join("\n"),
  );
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs a script (or, without one, the given arguments) with node in the project folder; returns what it printed after RESULT, parsed as JSON (without a script: its stdout), and the processes it spawned. */
function runNode(script: string, args: string[] = []): { result: unknown; spawned: string[] } {
  const run = spawnSync(process.execPath, ["-r", path.join(tmp, "record-spawns.js"), ...args, ...(script ? ["-e", script] : [])], {
    cwd: root,
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status).toBe(0);
  const spawned = /SPAWNED (.*)\n/.exec(run.stderr)?.[1];
  expect(spawned).toBeDefined();
  // The script prints its result on a line of its own: Terraform may print warnings to stdout too.
  const result = script ? (JSON.parse(/^RESULT (.*)$/m.exec(run.stdout)?.[1] ?? "null") as unknown) : run.stdout;
  return { result, spawned: JSON.parse(spawned ?? "[]") as string[] };
}

const loaded = (name: string) => `Object.keys(require.cache).some((file) => file.includes("/node_modules/${name}/"))`;

test("@cdktf/hcl2cdk loads jsii-rosetta, prettier and the provider generator only when it is used", () => {
  const { result } = runNode(`
    const hcl2cdk = require("@cdktf/hcl2cdk");
    const atLoad = [${loaded("jsii-rosetta")}, ${loaded("prettier")}, ${loaded("@cdktf/provider-generator")}];
    hcl2cdk.convert('resource "aws_s3_bucket" "logs" {\\n  bucket = "logs"\\n}\\n', { language: "typescript", providerSchema: {} }).then((converted) => {
      console.log("RESULT " + JSON.stringify({ atLoad, afterConvert: ${loaded("prettier")}, code: converted.all }));
      process.exit(0);
    });
  `);
  const { atLoad, afterConvert, code } = result as { atLoad: boolean[]; afterConvert: boolean; code: string };
  expect(atLoad).toEqual([false, false, false]);
  expect(afterConvert).toBe(true);
  expect(code).toContain('new S3Bucket(this, "logs", {');
}, 60_000);

test("@cdktf/hcl2json and @cdktf/hcl-tools start their WebAssembly only when called", () => {
  const { result } = runNode(`
    const hcl2json = require("@cdktf/hcl2json");
    const hclTools = require("@cdktf/hcl-tools");
    setTimeout(async () => {
      const startedAtLoad = typeof globalThis.Go === "function";
      const parsed = await hcl2json.parse("main.tf", 'variable "days" {\\n  default = 7\\n}\\n');
      const formatted = await hclTools.format("a   =  1\\n");
      console.log("RESULT " + JSON.stringify({ startedAtLoad, parsed, formatted }));
      process.exit(0);
    }, 200);
  `);
  expect(result).toEqual({ startedAtLoad: false, parsed: { variable: { days: [{ default: 7 }] } }, formatted: "a = 1\n" });
}, 60_000);

test("@cdktf/commons runs terraform version only when the version is awaited", () => {
  const { result } = runNode(`
    const commons = require("@cdktf/commons");
    setTimeout(async () => {
      const atLoad = [...globalThis.spawnedCommands];
      const version = await commons.terraformVersion;
      console.log("RESULT " + JSON.stringify({ atLoad, afterAwait: globalThis.spawnedCommands, version }));
      process.exit(0);
    }, 200);
  `);
  const { atLoad, afterAwait, version } = result as { atLoad: string[]; afterAwait: string[]; version: string };
  expect(atLoad).toEqual([]);
  expect(afterAwait).toEqual(["terraform version -json"]);
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
});

test("the cdktf CLI spawns no terraform version on start", () => {
  const { result, spawned } = runNode("", [path.join(root, "node_modules", "cdktf-cli", "bundle", "bin", "cdktf"), "--version"]);
  expect(String(result).trim()).toBe("0.21.0");
  expect(spawned.filter((command) => command.includes("terraform"))).toEqual([]);
});
