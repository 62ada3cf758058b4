/**
 * What a synth's output is a function of, hashed, for the synths that reuse
 * earlier output: an account whose inputs did not change
 * (account-reuse.ts), and `npm run preview` when nothing changed
 * (tooling/preview-synth-cache.ts).
 *
 * Besides the configuration, a synth reads: the files of each function's
 * code folder (they become the code assets), the compiled app (every file of
 * `dist/`), the installed packages (`node_modules/.package-lock.json`,
 * rewritten by every install) and the patches applied to them, the Node.js
 * version (it builds the zips), the `CDKTF_*` environment (cdktf reads its
 * context from there) and `LAMBDA_KMS_STACK_TRACES` (stack traces go into
 * manifest.json). When the synth starts to read something else, add it here.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "../config/app-config";
import { STACK_TRACES_ENV } from "./stack-traces";

/**
 * SHA-256 of everything a synth reads besides the configuration (listed above).
 * @param config the loaded configuration (for its code folders)
 * @param projectRoot the folder that holds `dist/`, `node_modules/` and `patches/`
 */
export function codeIdentity(config: AppConfig, projectRoot: string): string {
  const hash = createHash("sha256");
  const add = (label: string, value: string) => hash.update(`${label}\0${value.length}\0${value}`);
  add("node", process.version);
  for (const fn of config.functions) add(`code ${fn.name}`, treeIdentity(fn.codeDirectory));
  add("dist", treeIdentity(path.join(projectRoot, "dist")));
  add("packages", treeIdentity(path.join(projectRoot, "node_modules", ".package-lock.json")));
  add("patches", treeIdentity(path.join(projectRoot, "patches")));
  const switches = Object.entries(process.env)
    .filter(([name]) => name.startsWith("CDKTF_") || name === STACK_TRACES_ENV)
    .sort(([a], [b]) => a.localeCompare(b));
  add("env", JSON.stringify(switches));
  return hash.digest("hex");
}

/**
 * The configuration (or a part of it) as JSON, Maps and Sets included;
 * `undefined` when it holds something that does not serialize faithfully
 * (a function), so that no output is ever reused for it.
 */
export function serializedConfig(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (item instanceof Map) return { map: [...item] };
      if (item instanceof Set) return { set: [...item] };
      if (typeof item === "function" || typeof item === "symbol" || typeof item === "bigint") throw new Error("not serializable");
      return item;
    });
  } catch {
    return undefined;
  }
}

/** SHA-256 (hex) of a file's bytes. */
export function fileHash(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/**
 * SHA-256 of every file under `root` (of `root` itself, under "", when it is
 * a file), by path relative to it with "/" separators, folders in sorted
 * order; "missing" for what cannot be read.
 */
export function fileHashes(root: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const visit = (relative: string): void => {
    const file = path.join(root, relative);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      hashes[relative] = "missing";
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file).sort()) visit(relative === "" ? name : `${relative}/${name}`);
    } else {
      hashes[relative] = fileHash(file);
    }
  };
  visit("");
  return hashes;
}

/**
 * Path and content hash of every file under `root` (or of `root` itself),
 * one per line. Contents, not mtimes: every build rewrites all of `dist/`
 * with new mtimes and mostly the same bytes (2.6 MB, hashed in a few
 * milliseconds).
 */
function treeIdentity(root: string): string {
  return Object.entries(fileHashes(root))
    .map(([file, hash]) => `${file} ${hash}`)
    .join("\n");
}
