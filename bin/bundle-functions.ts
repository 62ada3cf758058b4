/**
 * Bundles each example handler `functions/<name>/src/handler.ts` with the
 * runtime library into `functions/<name>/dist/index.js` (handler
 * "index.handler"). The AWS SDK v3 is left out: the Lambda Node.js runtime
 * provides it. Same sources give the same bytes (no timestamps, no source
 * maps), so the zip and its `source_code_hash` only change when code does.
 * Runs as part of `npm run build`.
 */
import { buildSync } from "esbuild";
import * as fs from "fs";
import * as path from "path";

const functionsDir = path.resolve(__dirname, "..", "..", "functions");

for (const name of fs.readdirSync(functionsDir).sort()) {
  const entry = path.join(functionsDir, name, "src", "handler.ts");
  if (!fs.existsSync(entry)) continue;
  buildSync({
    // Paths in the bundle's comments are relative to this folder, whatever the caller's working directory.
    absWorkingDir: path.dirname(functionsDir),
    entryPoints: [entry],
    outfile: path.join(functionsDir, name, "dist", "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["@aws-sdk/*"],
    legalComments: "none",
    sourcemap: false,
    logLevel: "warning",
  });
}
