/**
 * `npm run deploy|diff|destroy -- [stacks…] [cdktf options]`
 *
 * Runs the cdktf CLI (`cdktf deploy`, `diff` or `destroy`) with:
 * - Terraform's own error messages, which the cdktf CLI often loses when a command
 *   fails: every Terraform run is logged (bin/terraform-capture.ts, into a
 *   private temporary folder removed at the end), and after a failure each
 *   failed run is printed with what Terraform said and, for the failures we
 *   know (a `prevent_destroy` key, a missing seed variable), what to do;
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
import { errorText } from "../modules/private/safe-output";
import { currentConfigFile } from "../config/load-config";
import { PROVIDER_MIRROR_ENV, readProviderMirror } from "../config/provider-mirror";
import { CAPTURE_LOG_DIR_ENV, REAL_TERRAFORM_ENV, exitCodeOf, explainFailures, readCapturedRuns } from "../tooling/terraform-failures";

const COMMANDS = ["deploy", "diff", "destroy"];
const [command, ...args] = process.argv.slice(2);

if (!COMMANDS.includes(command)) {
  console.error(`usage: node dist/bin/cdktf-run.js <${COMMANDS.join("|")}> [stacks…] [cdktf options]   (npm run ${COMMANDS.join("/")} -- …)`);
  process.exit(2);
}

const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? "1" };
let mirror: string | undefined;
try {
  mirror = readProviderMirror(env);
} catch (error) {
  console.error(errorText(error));
  process.exit(2);
}
if (mirror && !args.includes("--skip-provider-lock")) {
  args.push("--skip-provider-lock");
  console.error(`${PROVIDER_MIRROR_ENV} is set: providers come from ${mirror}; added --skip-provider-lock (locking would ask the registry).`);
}

async function main(): Promise<number> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-kms-terraform-"));
  try {
    // The stand-in the CLI starts as terraform: a shell script that runs the capture with this very Node
    // (not whichever node is on PATH), so nothing in dist/ needs an execute bit.
    const standIn = path.join(logDir, "terraform");
    fs.writeFileSync(standIn, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(path.join(__dirname, "terraform-capture.js"))} "$@"\n`, { mode: 0o700 });
    // In a nested run, the real binary is already known: never make the stand-in start itself.
    env[REAL_TERRAFORM_ENV] = process.env[REAL_TERRAFORM_ENV] || process.env.TERRAFORM_BINARY_NAME || "terraform";
    env.TERRAFORM_BINARY_NAME = standIn;
    env[CAPTURE_LOG_DIR_ENV] = logDir;
    const exitCode = await runCdktf([command, ...args]);
    if (exitCode !== 0) {
      const report = explainFailures(readCapturedRuns(logDir), { configFile: currentConfigFile(process.env) });
      if (report) console.error(`\n${report}`);
    }
    return exitCode;
  } catch (error) {
    console.error(errorText(error, `npm run ${command}: `));
    return 1;
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));

/** Runs the cdktf CLI of this project with the prepared environment; resolves to its exit code. */
function runCdktf(cliArgs: readonly string[]): Promise<number> {
  const cdktfPackage = require.resolve("cdktf-cli/package.json");
  const cdktfCli = path.join(path.dirname(cdktfPackage), JSON.parse(fs.readFileSync(cdktfPackage, "utf8")).bin.cdktf);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cdktfCli, ...cliArgs], { stdio: "inherit", env });
    // Ctrl-C in a terminal reaches the whole foreground process group: the cdktf CLI gets it and stops
    // Terraform itself. This process only waits. Other signals are passed on, so the log folder is removed.
    process.on("SIGINT", () => undefined);
    for (const signal of ["SIGTERM", "SIGHUP", "SIGQUIT"] as const) process.on(signal, () => child.kill(signal));
    child.on("error", (error) => reject(new Error(`cannot start the cdktf CLI (${cdktfCli}): ${error.message}`)));
    child.on("close", (code, signal) => resolve(exitCodeOf(code, signal)));
  });
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
