#!/usr/bin/env node
/**
 * Stands in for `terraform` when `npm run deploy/diff/destroy` runs the cdktf
 * CLI (which starts whatever TERRAFORM_BINARY_NAME names). It runs the real
 * Terraform with the same arguments, passes its output through unchanged, and
 * also appends it to a log file: the cdktf CLI drops Terraform's last lines
 * when a command fails, and those lines are the error. bin/cdktf-run.ts
 * prints them from the log afterwards.
 *
 * Before plan, apply and destroy it checks that every required variable has
 * a value: Terraform would otherwise prompt for it, and the cdktf CLI never
 * answers that prompt (the command hangs).
 *
 * Environment: LAMBDA_KMS_TERRAFORM (the real binary, default `terraform`),
 * LAMBDA_KMS_TERRAFORM_LOG_DIR (where the log goes; without it, nothing is
 * logged).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import {
  CAPTURE_LOG_DIR_ENV,
  REAL_TERRAFORM_ENV,
  captureLogPath,
  formatCaptureFooter,
  formatCaptureHeader,
  formatMissingVariables,
  missingRequiredVariables,
} from "../tooling/terraform-failures";

const args = process.argv.slice(2);
const terraform = process.env[REAL_TERRAFORM_ENV] || "terraform";
const logDir = process.env[CAPTURE_LOG_DIR_ENV];
const logFd = logDir ? fs.openSync(captureLogPath(logDir), "a", 0o600) : undefined;
if (logFd !== undefined) fs.writeSync(logFd, formatCaptureHeader(process.cwd(), args));

// Stop before Terraform would prompt for a variable that the cdktf CLI never answers.
const missing = missingRequiredVariables(process.cwd(), args, process.env);
if (missing.length > 0) {
  const error = formatMissingVariables(missing);
  process.stdout.write(error);
  if (logFd !== undefined) fs.writeSync(logFd, error + formatCaptureFooter(1));
  process.exit(1);
}

const child = spawn(terraform, args, { stdio: ["inherit", "pipe", "pipe"] });
const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
  target.write(chunk);
  if (logFd !== undefined) fs.writeSync(logFd, chunk);
};
child.stdout.on("data", forward(process.stdout));
child.stderr.on("data", forward(process.stderr));
// Ctrl-C reaches Terraform directly (same process group), and Terraform stops cleanly on its own:
// this process only has to outlive it. A SIGTERM (e.g. a CI timeout) is passed on.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("error", (error) => {
  process.stderr.write(`cannot run terraform (${terraform}): ${error.message}\n`);
  if (logFd !== undefined) fs.writeSync(logFd, formatCaptureFooter(127));
  process.exit(127);
});
child.on("close", (code, signal) => {
  const exitCode = code ?? (signal ? 128 : 1);
  if (logFd !== undefined) {
    fs.writeSync(logFd, formatCaptureFooter(exitCode));
    fs.closeSync(logFd);
  }
  process.exit(exitCode);
});
