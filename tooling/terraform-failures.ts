/**
 * Terraform's own error messages for `npm run deploy/diff/destroy`.
 *
 * The cdktf CLI runs Terraform in a pseudo-terminal and often loses the last
 * lines Terraform prints before it exits with an error, which are the error
 * itself (the terminal closes before they are read; the same bug, fixed in
 * CDK Terrain 0.23: https://github.com/open-constructs/cdk-terrain/issues/169):
 * `cdktf destroy` of a protected key ends with "Invoking Terraform CLI failed
 * with exit code 1" and nothing else, and a missing variable comes out as
 * `Missing variable: '╷ │ Error: …`. bin/terraform-capture.ts logs every
 * Terraform run; this module reads those logs back and says, per failed run,
 * what Terraform said and what to do about it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Folder the capturing stand-in writes its logs to. */
export const CAPTURE_LOG_DIR_ENV = "LAMBDA_KMS_TERRAFORM_LOG_DIR";
/** The real Terraform binary the stand-in runs. */
export const REAL_TERRAFORM_ENV = "LAMBDA_KMS_TERRAFORM";

const HEADER_MARK = "#lambda-kms-terraform-run ";
const FOOTER_MARK = "#lambda-kms-terraform-exit ";
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** One Terraform run, as logged. */
export interface CapturedRun {
  /** The folder Terraform ran in: the stack folder. */
  readonly cwd: string;
  readonly args: readonly string[];
  /** Undefined when the log has no footer (the run was killed). */
  readonly exitCode?: number;
  /** Standard output and error, colour codes removed. */
  readonly output: string;
}

/** A child's exit status as a shell reports it: its code, or 128 + the number of the signal that ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
}

/** A new log file in `dir`; file names sort in start order. */
export function captureLogPath(dir: string): string {
  return path.join(dir, `${process.hrtime.bigint().toString().padStart(20, "0")}-${process.pid}.log`);
}

export function formatCaptureHeader(cwd: string, args: readonly string[]): string {
  return `${HEADER_MARK}${JSON.stringify({ cwd, args })}\n`;
}

export function formatCaptureFooter(exitCode: number): string {
  return `\n${FOOTER_MARK}${exitCode}\n`;
}

/** Every logged run in `dir`, in start order. */
export function readCapturedRuns(dir: string): CapturedRun[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".log"))
    .sort()
    .map((file) => parseCapturedRun(fs.readFileSync(path.join(dir, file), "utf8")))
    .filter((run): run is CapturedRun => run !== undefined);
}

/** Parses one log written by the stand-in. */
export function parseCapturedRun(text: string): CapturedRun | undefined {
  if (!text.startsWith(HEADER_MARK)) return undefined;
  const headerEnd = text.indexOf("\n");
  const { cwd, args } = JSON.parse(text.slice(HEADER_MARK.length, headerEnd)) as { cwd: string; args: string[] };
  const footerAt = text.lastIndexOf(`\n${FOOTER_MARK}`);
  const body = footerAt >= 0 ? text.slice(headerEnd + 1, footerAt) : text.slice(headerEnd + 1);
  const exitCode = footerAt >= 0 ? Number.parseInt(text.slice(footerAt + FOOTER_MARK.length + 1), 10) : undefined;
  return { cwd, args, exitCode, output: body.replace(ANSI, "").replace(/\r\n/g, "\n") };
}

/** A Terraform diagnostic as printed in a box (`╷ │ Error: … ╵`). */
export interface PrintedDiagnostic {
  readonly severity: "Error" | "Warning";
  readonly summary: string;
  /** The whole box, without its frame. */
  readonly text: string;
}

/** The diagnostics Terraform printed in `output`. */
export function printedDiagnostics(output: string): PrintedDiagnostic[] {
  const diagnostics: PrintedDiagnostic[] = [];
  let box: string[] | undefined;
  for (const line of output.split("\n")) {
    const trimmed = line.trimEnd();
    if (trimmed.trim() === "╷") box = [];
    else if (trimmed.trim() === "╵" && box) {
      const text = box.join("\n").trim();
      const match = /^(Error|Warning): (.*)$/m.exec(text);
      if (match) diagnostics.push({ severity: match[1] as "Error" | "Warning", summary: match[2].trim(), text });
      box = undefined;
    } else if (box) box.push(trimmed.replace(/^\s*│ ?/, ""));
  }
  return diagnostics;
}

/** Terraform commands that need a value for every required variable. */
const COMMANDS_NEEDING_VARIABLES = ["plan", "apply", "destroy"];

/**
 * The variables of the stack in `stackFolder` (`cdk.tf.json`) that have no
 * default and no value in `TF_VAR_<name>` or a `-var` argument, for a
 * command that needs them. Without `-input=false`, which the cdktf CLI does
 * not pass to apply and destroy, Terraform asks for them on a prompt that
 * ends without a newline; the CLI only looks for prompts in complete lines
 * (`bufferUnterminatedLines` in @cdktf/cli-core's deploy-machine), so it never
 * answers, and the command waits for ever. Empty when values may come from
 * elsewhere: a `-var-file`, a file Terraform loads by itself
 * (`terraform.tfvars`, `*.auto.tfvars`, and their `.json` forms), or
 * `TF_CLI_ARGS` / `TF_CLI_ARGS_<command>`.
 */
export function missingRequiredVariables(stackFolder: string, args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const command = args[0];
  if (!COMMANDS_NEEDING_VARIABLES.includes(command)) return [];
  if (args.some((arg) => /^--?var-file(=|$)/.test(arg))) return [];
  if (/-var/.test(`${env.TF_CLI_ARGS ?? ""} ${env[`TF_CLI_ARGS_${command}`] ?? ""}`)) return [];
  if (fs.readdirSync(stackFolder).some((file) => /^(terraform\.tfvars|.+\.auto\.tfvars)(\.json)?$/.test(file))) return [];
  let variables: Record<string, { default?: unknown }>;
  try {
    variables = (JSON.parse(fs.readFileSync(path.join(stackFolder, "cdk.tf.json"), "utf8")) as { variable?: Record<string, { default?: unknown }> }).variable ?? {};
  } catch {
    return [];
  }
  const given = new Set(args.map((arg) => /^--?var=([^=]+)=/.exec(arg)?.[1]).filter((name): name is string => name !== undefined));
  return Object.entries(variables)
    .filter(([name, variable]) => !("default" in variable) && env[`TF_VAR_${name}`] === undefined && !given.has(name))
    .map(([name]) => name);
}

/** The error Terraform itself prints for a missing variable (with -input=false), in its own box format, so {@link explainFailures} reads it the same way. */
export function formatMissingVariables(names: readonly string[]): string {
  return names
    .map((name) =>
      [
        "╷",
        "│ Error: No value for required variable",
        "│",
        `│ The root module input variable "${name}" is not set, and has no default value.`,
        "│ (Checked before Terraform starts: it would ask for the value on a prompt that the cdktf CLI never answers.)",
        "╵",
        "",
      ].join("\n"),
    )
    .join("");
}

/** What the report needs to know about the app. */
export interface ExplainContext {
  /** The configuration file the stacks were synthesized from. */
  readonly configFile: string;
}

/**
 * A report of every failed Terraform run: the stack, the command, what
 * Terraform said (its error boxes, whole), and for the failures we know, what
 * to do. Empty when no run failed.
 */
export function explainFailures(runs: readonly CapturedRun[], context: ExplainContext): string {
  const sections = runs.filter((run) => run.exitCode !== undefined && run.exitCode !== 0).map((run) => explainRun(run, context));
  return sections.join("\n\n");
}

function explainRun(run: CapturedRun, context: ExplainContext): string {
  const stack = path.basename(run.cwd);
  const errors = printedDiagnostics(run.output).filter((d) => d.severity === "Error");
  const lines = [`terraform ${run.args[0] ?? ""} failed in stack ${stack} (exit code ${run.exitCode}).`];
  if (errors.length > 0) {
    lines.push("Terraform said:", ...errors.map((d) => `${indent(d.text)}\n`));
  } else {
    lines.push("Terraform said (last lines):", indent(run.output.trim().split("\n").slice(-15).join("\n")));
  }
  const hints = [...protectedResourceHints(errors, context), ...missingVariableHints(run, errors)];
  if (hints.length > 0) lines.push("What to do:", ...hints.map((hint) => indent(hint)));
  return lines.join("\n");
}

/** `prevent_destroy` on the keys and the audit bucket, and the config switch that lifts it. */
function protectedResourceHints(errors: readonly PrintedDiagnostic[], context: ExplainContext): string[] {
  const addresses = errors
    .filter((d) => d.summary === "Instance cannot be destroyed")
    .flatMap((d) => [...d.text.replace(/\s+/g, " ").matchAll(/Resource (\S+) has lifecycle\.prevent_destroy set/g)].map((m) => m[1]));
  if (addresses.length === 0) return [];
  return [
    `${unique(addresses).join(", ")} ${addresses.length === 1 ? "has" : "have"} prevent_destroy. The app sets it on the KMS keys, because once a key is ` +
      "deleted nothing encrypted with it can be read again (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html), " +
      "and on the audit log bucket, which holds the audit record. " +
      `To destroy a throw-away environment, set "preventDestroy": false under "key" in ${context.configFile}, then run the destroy again ` +
      "(it synthesizes first).",
  ];
}

/** A variable without a value, e.g. a seeded secret's (`TF_VAR_<name>`), with its description from the stack. */
function missingVariableHints(run: CapturedRun, errors: readonly PrintedDiagnostic[]): string[] {
  const names = errors
    .filter((d) => d.summary === "No value for required variable")
    .flatMap((d) => [...d.text.replace(/\s+/g, " ").matchAll(/input variable "([^"]+)" is not set/g)].map((m) => m[1]));
  return unique(names).map((name) => {
    const description = variableDescription(run.cwd, name);
    return `Set TF_VAR_${name} before you run it again (export TF_VAR_${name}='…', from your secret store, never from the repository)${description ? `: ${description}` : "."}`;
  });
}

function variableDescription(stackFolder: string, name: string): string | undefined {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(stackFolder, "cdk.tf.json"), "utf8")) as { variable?: Record<string, { description?: string }> };
    return json.variable?.[name]?.description;
  } catch {
    return undefined;
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
}
