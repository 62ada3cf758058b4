/**
 * `npm run deploy|diff|destroy -- [stacks…] [cdktf options]`
 *
 * Runs the cdktf CLI (`cdktf deploy`, `diff` or `destroy`) with:
 * - Terraform's own error messages, which the cdktf CLI loses when a command
 *   fails: every Terraform run is logged (bin/terraform-capture.ts), and after
 *   a failure each failed run is printed with what Terraform said and, for the
 *   failures we know (a `prevent_destroy` key, a missing seed variable), what
 *   to do;
 * - `--skip-provider-lock` added when `TF_PROVIDER_MIRROR` is set: locking
 *   asks the registry even when providers come from a mirror;
 * - `CHECKPOINT_DISABLE=1` unless set otherwise.
 *
 * The exit code is the cdktf CLI's.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appContext, resolveConfigFile } from "../config/load-config";
import { PROVIDER_MIRROR_ENV, readProviderMirror } from "../config/provider-mirror";
import { CAPTURE_LOG_DIR_ENV, REAL_TERRAFORM_ENV, explainFailures, readCapturedRuns } from "../tooling/terraform-failures";

const COMMANDS = ["deploy", "diff", "destroy"];
const [command, ...args] = process.argv.slice(2);

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

if (!COMMANDS.includes(command)) {
  fail(`usage: node dist/bin/cdktf-run.js <${COMMANDS.join("|")}> [stacks…] [cdktf options]   (npm run ${COMMANDS.join("/")} -- …)`, 2);
}

const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? "1" };
let mirror: string | undefined;
try {
  mirror = readProviderMirror(env);
} catch (error) {
  fail((error as Error).message, 2);
}
if (mirror && !args.includes("--skip-provider-lock")) {
  args.push("--skip-provider-lock");
  console.error(`${PROVIDER_MIRROR_ENV} is set: providers come from ${mirror}; added --skip-provider-lock (locking would ask the registry).`);
}

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-kms-terraform-"));
const capture = path.join(__dirname, "terraform-capture.js");
// Compiled output carries no execute bit; the cdktf CLI starts TERRAFORM_BINARY_NAME directly.
fs.chmodSync(capture, 0o755);
env[REAL_TERRAFORM_ENV] = process.env.TERRAFORM_BINARY_NAME || "terraform";
env.TERRAFORM_BINARY_NAME = capture;
env[CAPTURE_LOG_DIR_ENV] = logDir;

const cdktfPackage = require.resolve("cdktf-cli/package.json");
const cdktfCli = path.join(path.dirname(cdktfPackage), JSON.parse(fs.readFileSync(cdktfPackage, "utf8")).bin.cdktf);
const child = spawn(process.execPath, [cdktfCli, command, ...args], { stdio: "inherit", env });
// Ctrl-C reaches the cdktf CLI directly (same process group), which stops Terraform cleanly; wait for it.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("close", (code, signal) => {
  const exitCode = code ?? (signal ? 128 : 1);
  if (exitCode !== 0) {
    const report = explainFailures(readCapturedRuns(logDir), { configFile: resolveConfigFile(process.env, appContext(process.env).config) });
    if (report) console.error(`\n${report}`);
  }
  fs.rmSync(logDir, { recursive: true, force: true });
  process.exit(exitCode);
});
