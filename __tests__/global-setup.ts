import { execFileSync } from "child_process";
import * as path from "path";

/**
 * Builds dist/ once before any test file runs: the app, packaging and CLI
 * tests run the compiled output, and jest runs test files in parallel
 * (`npm test` has just built, so this incremental build is a no-op there).
 */
export default function globalSetup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: path.resolve(__dirname, ".."), stdio: "inherit" });
}
