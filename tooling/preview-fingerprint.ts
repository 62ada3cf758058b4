/**
 * The fingerprint of one stack's preview: a hash of everything its
 * `terraform plan` result depends on. `npm run preview` skips a stack whose
 * fingerprint equals the one recorded after its last successful preview.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildOfflineOverride } from "./stack-check";

/**
 * Raise when the way the preview runs Terraform changes (commands, arguments,
 * what counts as success), so every recorded result becomes stale at once.
 */
export const PREVIEW_FORMAT = "preview-2";

/** What, besides the stack folder, the plan depends on. */
export interface PreviewFingerprintInput {
  /** Provider mirror root, or `null` for the registry. */
  readonly mirror: string | null;
  /** Absolute path of the terraform executable. */
  readonly terraform: string;
  /** Names of the variables given a placeholder value (`TF_VAR_<name>`). */
  readonly placeholders: readonly string[];
}

/**
 * Hashes, for the stack folder `stackDir`: the bytes of `cdk.tf.json`, the
 * offline override built from it, the lock file (the provider versions and
 * packages init selected), the provider mirror (path, and size and mtime of
 * each of its files), the terraform binary (path, size, mtime) and which
 * of the stack's variables got a placeholder. Variable values are not hashed: the only
 * variables are write-only secret seeds, which never change a plan, and a
 * hash of a secret on disk could be guessed back.
 */
export function previewFingerprint(stackDir: string, input: PreviewFingerprintInput): string {
  const hash = createHash("sha256");
  const add = (label: string, value: string | Buffer) => hash.update(`${label}\0${value.length}\0`).update(value);
  add("format", PREVIEW_FORMAT);
  const main = fs.readFileSync(path.join(stackDir, "cdk.tf.json"));
  add("cdk.tf.json", main);
  const config = JSON.parse(main.toString("utf8")) as Record<string, unknown>;
  add("override", JSON.stringify(buildOfflineOverride(config, "backend-path")));
  const lock = path.join(stackDir, ".terraform.lock.hcl");
  add("lock", fs.existsSync(lock) ? fs.readFileSync(lock) : "none");
  add("mirror", input.mirror === null ? "registry" : mirrorIdentity(input.mirror));
  // The binary's identity, not `terraform version`: that command takes 0.2-0.4 s, the stat nothing.
  add("terraform", fileIdentity(input.terraform));
  // Only this stack's own variables: previewing another set of stacks must not make this one look changed.
  const declared = Object.keys((config.variable ?? {}) as Record<string, unknown>);
  add("placeholders", JSON.stringify(input.placeholders.filter((name) => declared.includes(name)).sort()));
  return hash.digest("hex");
}

/** The mirror's path and every file under it (relative path, size, mtime), in a stable order. */
function mirrorIdentity(mirror: string): string {
  const files: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      const stat = fs.statSync(full);
      if (stat.isDirectory()) walk(full, depth + 1);
      else files.push(`${path.relative(mirror, full)} ${stat.size} ${stat.mtimeMs}`);
    }
  };
  walk(mirror, 0);
  return `${path.resolve(mirror)}\n${files.join("\n")}`;
}

function fileIdentity(file: string): string {
  const real = fs.realpathSync(file);
  const stat = fs.statSync(real);
  return `${real} ${stat.size} ${stat.mtimeMs}`;
}
