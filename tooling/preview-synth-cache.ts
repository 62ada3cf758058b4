/**
 * Lets `npm run preview` skip the synth when nothing it reads changed since
 * the last synth into the preview folder. The synth of the default
 * configuration takes about 3 s, most of a preview whose stacks are all
 * unchanged; its output is a function of what {@link synthKey} hashes: the
 * configuration and what stacks/synth-inputs.ts lists.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../config/app-config";
import { codeIdentity, serializedConfig } from "../stacks/synth-inputs";

/** The last synth into the preview folder. */
export interface SynthRecord {
  /** {@link synthKey} of that synth. */
  readonly key: string;
  /** Its stacks, in config order. */
  readonly stacks: readonly string[];
}

/**
 * The synth's key, or `undefined` when the configuration holds something that
 * does not serialize faithfully (then the synth always runs).
 * @param config the loaded configuration
 * @param projectRoot the folder that holds `dist/`, `node_modules/` and `patches/`
 */
export function synthKey(config: AppConfig, projectRoot: string): string | undefined {
  const configJson = serializedConfig(config);
  if (configJson === undefined) return undefined;
  return createHash("sha256").update(codeIdentity(config, projectRoot)).update(configJson).digest("hex");
}

function recordFile(folder: string): string {
  return path.join(folder, "synth.json");
}

/** The last synth's record, when its key is `key` and every stack it wrote is still there. */
export function unchangedSynth(folder: string, outdir: string, key: string | undefined): SynthRecord | undefined {
  if (key === undefined) return undefined;
  try {
    const record = JSON.parse(fs.readFileSync(recordFile(folder), "utf8")) as SynthRecord;
    if (record.key !== key || !Array.isArray(record.stacks)) return undefined;
    return record.stacks.every((stack) => fs.existsSync(path.join(outdir, "stacks", stack, "cdk.tf.json"))) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the record before a synth: a synth that fails or is interrupted must not count. */
export function forgetSynth(folder: string): void {
  fs.rmSync(recordFile(folder), { force: true });
}

/** Records a successful synth (written atomically). */
export function recordSynth(folder: string, record: SynthRecord): void {
  fs.mkdirSync(folder, { recursive: true });
  const partial = `${recordFile(folder)}.${process.pid}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(partial, recordFile(folder));
}
