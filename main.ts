import { appContext, loadConfig, resolveConfigFile } from "./config/load-config";
import { ConfigError } from "./config/validate-config";
import { formatFindings } from "./modules";
import { synthesizeApp } from "./stacks/synthesize-app";

// Loads and validates the configuration, then synthesizes one stack per
// account × region into cdktf.out (or the folder the cdktf CLI asks for).
try {
  const config = loadConfig(resolveConfigFile(process.env, appContext(process.env).config));
  const result = synthesizeApp(config, process.env.CDKTF_OUTDIR ?? "cdktf.out", { failOnWarnings: process.env.LAMBDA_KMS_FAIL_ON_WARNINGS === "1" });
  console.log(`synthesized ${result.stacks.length} stacks from ${config.sourceFile} into ${result.outdir}: ${result.stacks.join(", ")}`);
  if (result.compliance.findings.length > 0) console.log(formatFindings(result.compliance));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `synthesis failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
