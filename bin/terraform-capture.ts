/**
 * Stands in for `terraform` when `npm run deploy/diff/destroy` runs the cdktf
 * CLI (which starts whatever TERRAFORM_BINARY_NAME names). It runs the real
 * Terraform with the same arguments and passes its output through unchanged;
 * at the end it writes the run (folder, arguments, the last MiB of output,
 * exit code) to a log file: the cdktf CLI often loses Terraform's last lines when a
 * command fails, and those lines are the error. bin/cdktf-run.ts prints them
 * from the log afterwards.
 *
 * Before plan, apply and destroy it checks that every required variable has
 * a value: Terraform would otherwise ask for it on a prompt that the cdktf
 * CLI does not recognise, and wait for ever.
 *
 * Environment: LAMBDA_KMS_TERRAFORM (the real binary, default `terraform`),
 * LAMBDA_KMS_TERRAFORM_LOG_DIR (where the log goes; without it, nothing is
 * logged). With TF_LOG set, Terraform's standard error (its debug log, which
 * can hold request bodies) is passed through but not logged.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import {
  CAPTURE_LOG_DIR_ENV,
  REAL_TERRAFORM_ENV,
  captureLogPath,
  exitCodeOf,
  formatCaptureFooter,
  formatCaptureHeader,
  formatMissingVariables,
  missingRequiredVariables,
} from "../tooling/terraform-failures";

/** The end of the output is what explains a failure; a bound keeps a long apply's log small. */
const MAX_LOGGED_BYTES = 1024 * 1024;

const args = process.argv.slice(2);
const terraform = process.env[REAL_TERRAFORM_ENV] || "terraform";
const logDir = process.env[CAPTURE_LOG_DIR_ENV];
let logged: Buffer[] = [];
let loggedBytes = 0;

function keep(chunk: Buffer): void {
  logged.push(chunk);
  loggedBytes += chunk.length;
  if (loggedBytes > 2 * MAX_LOGGED_BYTES) {
    const tail = Buffer.concat(logged).subarray(-MAX_LOGGED_BYTES);
    logged = [tail];
    loggedBytes = tail.length;
  }
}

function finish(exitCode: number): never {
  if (logDir) {
    const output = Buffer.concat(logged).subarray(-MAX_LOGGED_BYTES);
    fs.writeFileSync(captureLogPath(logDir), Buffer.concat([Buffer.from(formatCaptureHeader(process.cwd(), args)), output, Buffer.from(formatCaptureFooter(exitCode))]), {
      mode: 0o600,
    });
  }
  process.exit(exitCode);
}

// Stop before Terraform would prompt for a variable.
const missing = missingRequiredVariables(process.cwd(), args, process.env);
if (missing.length > 0) {
  const error = formatMissingVariables(missing);
  process.stdout.write(error);
  keep(Buffer.from(error));
  finish(1);
}

const child = spawn(terraform, args, { stdio: ["inherit", "pipe", "pipe"] });
child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  keep(chunk);
});
child.stderr.on("data", (chunk: Buffer) => {
  process.stderr.write(chunk);
  if (!process.env.TF_LOG) keep(chunk);
});
// Under the cdktf CLI, Terraform and this process share a pseudo-terminal: Ctrl-C arrives there and
// reaches Terraform directly, which stops cleanly on its own; this process only waits for it.
// SIGTERM, which the CLI sends to the runs it starts without a terminal, is passed on.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("error", (error) => {
  const message = `cannot run terraform (${terraform}): ${error.message}\n`;
  process.stderr.write(message);
  keep(Buffer.from(message));
  finish(127);
});
child.on("close", (code, signal) => finish(exitCodeOf(code, signal)));
