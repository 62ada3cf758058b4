/**
 * Runs the child processes of the end-to-end test (cdktf, terraform, node)
 * with their whole output kept in a log file and the lines that matter
 * echoed live, so a CI log shows progress without the noise.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Append the whole output (stdout and stderr, ANSI colours removed) to this file. */
  readonly logFile: string;
  /** Called with each output line; print what matters. @default nothing is printed */
  readonly onLine?: (line: string) => void;
  /** Written to the child's standard input. @default nothing (stdin closed) */
  readonly input?: string;
}

/** What a finished command returned. */
export interface CommandResult {
  /** Exit code; -1 when killed by a signal. */
  readonly code: number;
  /** Standard output alone (for commands whose output is data, such as `terraform output -json`). */
  readonly stdout: string;
  /** The tail of stdout and stderr together, for error messages. */
  readonly tail: string;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Removes terminal colour and cursor codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** Child processes still running, so an interrupted run can stop them. */
export const runningChildren = new Set<ChildProcess>();

/** Runs a command to completion; never throws for a non-zero exit (the caller decides). */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(options.logFile, "a");
    fs.writeSync(log, `\n$ ${[command, ...args].join(" ")}   (in ${options.cwd})\n`);
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    runningChildren.add(child);
    let stdout = "";
    let tail = "";
    let pending = "";
    let spawnError: Error | undefined;
    const take = (chunk: Buffer, isStdout: boolean) => {
      const text = stripAnsi(chunk.toString("utf8"));
      fs.writeSync(log, text);
      if (isStdout) stdout += text;
      tail = (tail + text).slice(-6_000);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine?.(line);
    };
    child.stdout?.on("data", (chunk: Buffer) => take(chunk, true));
    child.stderr?.on("data", (chunk: Buffer) => take(chunk, false));
    // A command that cannot start emits "error" and then "close": settle once, in "close".
    child.once("error", (error) => {
      spawnError = error;
    });
    child.once("close", (code) => {
      runningChildren.delete(child);
      if (pending) options.onLine?.(pending);
      fs.closeSync(log);
      if (spawnError) reject(new Error(`cannot run ${command}: ${spawnError.message}`));
      else resolve({ code: code ?? -1, stdout, tail });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
