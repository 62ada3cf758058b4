import * as fs from "fs";
import * as path from "path";
import { AppConfig } from "./app-config";
import { ConfigError, validateConfig } from "./validate-config";

/** The embedded example configuration: two accounts, two regions, placeholder account IDs. */
export const DEFAULT_CONFIG_FILE = findDefaultConfig();

function findDefaultConfig(): string {
  // Source runs (jest) load this file from config/; compiled runs from dist/config/.
  const candidates = [path.resolve(__dirname, "default.json"), path.resolve(__dirname, "..", "..", "config", "default.json")];
  return candidates.find((file) => fs.existsSync(file)) ?? candidates[0];
}

/** Environment variable that names another configuration file. */
export const CONFIG_ENV_VAR = "LAMBDA_KMS_CONFIG";

/**
 * Which configuration file to use: the `LAMBDA_KMS_CONFIG` environment
 * variable, else the cdktf context value `config` (see `appContext`), else
 * the embedded default.
 */
export function resolveConfigFile(env: NodeJS.ProcessEnv, context: unknown): string {
  if (env[CONFIG_ENV_VAR]) return path.resolve(env[CONFIG_ENV_VAR]);
  if (typeof context === "string" && context.length > 0) return path.resolve(context);
  return DEFAULT_CONFIG_FILE;
}

/** The configuration file of the app in this environment: {@link resolveConfigFile} with the {@link appContext} value. */
export function currentConfigFile(env: NodeJS.ProcessEnv): string {
  return resolveConfigFile(env, appContext(env).config);
}

/**
 * The cdktf context: what the cdktf CLI passes in `CDKTF_CONTEXT_JSON`, or,
 * when the app runs without the CLI (`npm run synth`), the `context` of
 * cdktf.json in the project folder, so both ways pick the same configuration.
 */
export function appContext(env: NodeJS.ProcessEnv, cdktfJson = path.resolve(path.dirname(DEFAULT_CONFIG_FILE), "..", "cdktf.json")): Record<string, unknown> {
  if (env.CDKTF_CONTEXT_JSON) return JSON.parse(env.CDKTF_CONTEXT_JSON) as Record<string, unknown>;
  if (!fs.existsSync(cdktfJson)) return {};
  return (JSON.parse(fs.readFileSync(cdktfJson, "utf8")).context ?? {}) as Record<string, unknown>;
}

/** Reads, parses and validates a configuration file; throws ConfigError on any problem. */
export function loadConfig(file: string): AppConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [
      { path: "(file)", message: `cannot read the file (${(error as NodeJS.ErrnoException).code}); check the path, or unset ${CONFIG_ENV_VAR} to use the default configuration` },
    ]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ path: "(file)", message: `is not valid JSON: ${(error as Error).message}` }]);
  }
  return validateConfig(document, file);
}
