#!/usr/bin/env node
/**
 * `npm run build`, only when something it compiles changed since the last
 * build this script ran: the commands that run the compiled app (`npm run
 * synth`, `cdktf synth`, preview, deploy, ...) call it first, so an
 * unchanged project starts the app at once instead of compiling for seconds.
 *
 * "Changed" compares a fingerprint of every input of the build (path, size
 * and modification time of each source file, the tsconfig files, the
 * lockfile) with the one stored in dist/ after the last successful build. A
 * new, removed or touched file, a checkout of another commit, or a missing
 * dist/ rebuilds. `npm run build` itself always compiles.
 *
 * Plain JavaScript, not TypeScript: it runs before anything is compiled.
 */
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const FINGERPRINT_FILE = path.join(root, "dist", ".build-inputs");
/** What `npm run build` reads: tsconfig.build.json's folders, the function handlers it bundles, and what decides the output. */
const SOURCE_FOLDERS = ["modules", "stacks", "config", "bench", "runtime", "bin", "e2e", "compat", "tooling", "access", "functions"];
const SOURCE_FILES = ["main.ts", "tsconfig.json", "tsconfig.build.json", "package.json", "package-lock.json"];
const SKIPPED_FOLDERS = new Set(["node_modules", "dist", "cdktf.out", ".terraform", "__pycache__"]);

/** SHA-256 over the path, size and modification time of every build input. */
function inputFingerprint() {
  const hash = crypto.createHash("sha256");
  const add = (file) => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    hash.update(`${path.relative(root, file)}\0${stat ? `${stat.size}\0${stat.mtimeMs}` : "missing"}\n`);
  };
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(file);
      } else if (/\.(ts|js|json)$/.test(entry.name)) {
        add(file);
      }
    }
  };
  for (const file of SOURCE_FILES) add(path.join(root, file));
  for (const folder of SOURCE_FOLDERS) if (fs.existsSync(path.join(root, folder))) walk(path.join(root, folder));
  return hash.digest("hex");
}

function main() {
  // Taken before compiling: a file saved during the build makes the next call build again.
  const fingerprint = inputFingerprint();
  const previous = fs.existsSync(FINGERPRINT_FILE) ? fs.readFileSync(FINGERPRINT_FILE, "utf8") : "";
  if (previous === fingerprint && fs.existsSync(path.join(root, "dist", "main.js"))) return 0;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const build = spawnSync(npm, ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) return build.status ?? 1;
  fs.writeFileSync(FINGERPRINT_FILE, fingerprint);
  return 0;
}

process.exitCode = main();
