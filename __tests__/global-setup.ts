import { execFileSync } from "child_process";
import * as path from "path";

/**
 * Builds dist/ before any test file runs, unless nothing it compiles changed
 * since the last build (tooling/build-if-changed.js): the app, packaging and
 * CLI tests run the compiled output, and jest runs test files in parallel.
 */
export default function globalSetup(): void {
  execFileSync(process.execPath, [path.resolve(__dirname, "..", "tooling", "build-if-changed.js")], { cwd: path.resolve(__dirname, ".."), stdio: "inherit" });
}
