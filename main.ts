import { appContext, loadConfig, resolveConfigFile } from "./config/load-config";
import { ConfigError } from "./config/validate-config";
import { synthesizeApp } from "./stacks/synthesize-app";

// Loads and validates the configuration, then synthesizes one stack per
// account × region into cdktf.out (or the folder the cdktf CLI asks for).
try {
  const config = loadConfig(resolveConfigFile(process.env, appContext(process.env).config));
  const result = synthesizeApp(config, process.env.CDKTF_OUTDIR ?? "cdktf.out");
  console.log(`synthesized ${result.stacks.length} stacks from ${config.sourceFile} into ${result.outdir}: ${result.stacks.join(", ")}`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `synthesis failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
