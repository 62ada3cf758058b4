/**
 * Lets `npm run preview` skip the synth when nothing it reads changed since
 * the last synth into the preview folder. The synth of the default
 * configuration takes about 3 s, most of a preview whose stacks are all
 * unchanged; its output is a function of what {@link synthKey} hashes.
 *
 * The key covers: the loaded configuration (every field, resolved code
 * folders included), the files of each function's code folder (they become
 * the code assets), the compiled app that synthesizes
 * (every file of `dist/`), the installed packages (`node_modules/.package-lock.json`,
 * rewritten by every install) and the patches applied to them, the Node.js
 * version, and the `CDKTF_*` environment (cdktf reads its context from there).
 * When the synth starts to read something else, add it here.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../config/app-config";

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
  let configJson: string;
  try {
    configJson = JSON.stringify(config, (_key, value: unknown) => {
      if (value instanceof Map) return { map: [...value] };
      if (value instanceof Set) return { set: [...value] };
      if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") throw new Error("not serializable");
      return value;
    });
  } catch {
    return undefined;
  }
  const hash = createHash("sha256");
  const add = (label: string, value: string) => hash.update(`${label}\0${value.length}\0${value}`);
  add("node", process.version);
  add("config", configJson);
  for (const fn of config.functions) add(`code ${fn.name}`, treeIdentity(fn.codeDirectory));
  add("dist", treeIdentity(path.join(projectRoot, "dist")));
  add("packages", treeIdentity(path.join(projectRoot, "node_modules", ".package-lock.json")));
  add("patches", treeIdentity(path.join(projectRoot, "patches")));
  const cdktfEnv = Object.entries(process.env)
    .filter(([name]) => name.startsWith("CDKTF_"))
    .sort(([a], [b]) => a.localeCompare(b));
  add("env", JSON.stringify(cdktfEnv));
  return hash.digest("hex");
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

/**
 * Path and content hash of every file under `root` (or of `root` itself),
 * sorted; "missing" when there is none. Contents, not mtimes: every build
 * rewrites all of `dist/` with new mtimes and mostly the same bytes (2.6 MB,
 * hashed in a few milliseconds).
 */
function treeIdentity(root: string): string {
  const lines: string[] = [];
  const visit = (file: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      lines.push(`${path.relative(root, file)} missing`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file).sort()) visit(path.join(file, name));
    } else {
      lines.push(`${path.relative(root, file)} ${createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`);
    }
  };
  visit(root);
  return lines.join("\n");
}
