/**
 * What `npm run preview` remembers of each stack's last successful preview:
 * one JSON file per stack under `<preview folder>/results/`. A stack is only
 * recorded after it planned; its record is removed before it is planned
 * again, so a failed or interrupted stack is never taken as done.
 */
import * as fs from "fs";
import * as path from "path";

/** The last successful preview of a stack. */
export interface PreviewRecord {
  /** {@link previewFingerprint} of the stack when it was planned. */
  readonly fingerprint: string;
  /** The plan's outcome, e.g. `planned 12 to add, 0 to change, 0 to destroy`. */
  readonly result: string;
  /** Warnings of the plan, one line each. */
  readonly warnings: readonly string[];
  /** How long the stack took, in milliseconds. */
  readonly ms: number;
  /** When it finished (ISO 8601). */
  readonly finishedAt: string;
}

function recordFile(folder: string, stack: string): string {
  return path.join(folder, "results", `${stack}.json`);
}

/** The stack's record, or `undefined` when there is none (or it cannot be read: then it is as good as none). */
export function readRecord(folder: string, stack: string): PreviewRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(recordFile(folder, stack), "utf8")) as PreviewRecord;
    return typeof record.fingerprint === "string" && typeof record.result === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the record atomically (a rename), so an interrupted run leaves the old record or the new one, never half of one. */
export function writeRecord(folder: string, stack: string, record: PreviewRecord): void {
  const file = recordFile(folder, stack);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(partial, file);
}

/** Removes the stack's record (before it is planned again). */
export function forgetRecord(folder: string, stack: string): void {
  fs.rmSync(recordFile(folder, stack), { force: true });
}

/** Removes the records of stacks that are no longer in the configuration. */
export function pruneRecords(folder: string, stacks: readonly string[]): void {
  const dir = path.join(folder, "results");
  if (!fs.existsSync(dir)) return;
  for (const file of fs.readdirSync(dir)) {
    const stack = file.endsWith(".json") ? file.slice(0, -".json".length) : undefined;
    if (stack === undefined || !stacks.includes(stack)) fs.rmSync(path.join(dir, file), { force: true });
  }
}
