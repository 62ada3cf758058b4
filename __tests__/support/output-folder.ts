/** What the all-or-nothing tests compare an output folder with, before and after a failed run. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** SHA-256 of every file under `root`, by relative path. */
export function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(root, full)] = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
    }
  };
  walk(root);
  return files;
}

/** The staging folders (`.<outdir>.staging-*`) a synth left in `parent`. */
export function stagingLeftovers(parent: string): string[] {
  return fs.readdirSync(parent).filter((name) => name.includes(".staging-"));
}
