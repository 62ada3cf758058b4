import * as fs from "fs";
import * as path from "path";
import { excerpt } from "../modules/private/safe-output";
import { AppConfig } from "./app-config";
import { JsonSpan, JsonSyntaxError, parseStrictJson } from "./strict-json";
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
 * the embedded default. An empty value of either is refused.
 */
export function resolveConfigFile(env: NodeJS.ProcessEnv, context: unknown): string {
  const fromEnv = env[CONFIG_ENV_VAR];
  // An empty value is a mistake (a CI variable that was never filled in), not a request for the example configuration.
  if (fromEnv !== undefined && fromEnv.trim() === "") {
    throw new ConfigError("(environment)", [
      { path: CONFIG_ENV_VAR, message: "is set but empty; set it to your configuration file, or unset it to use cdktf.json's context or the default configuration" },
    ]);
  }
  if (fromEnv !== undefined) return path.resolve(fromEnv);
  if (context === undefined) return DEFAULT_CONFIG_FILE;
  if (typeof context !== "string" || context.trim() === "") {
    throw new ConfigError("cdktf.json", [
      { path: "context.config", message: `expected the path of a configuration file, got ${excerpt(context)}; set it, or remove the field to use the default configuration` },
    ]);
  }
  return path.resolve(context);
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

/** Larger files are refused before they are read: a configuration of 5,000 functions is about 2 MB. */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads, parses and validates a configuration file; throws ConfigError on any
 * problem. The file is parsed strictly (see `parseStrictJson`): a syntax
 * error is reported by line and column, never with the text around it, and
 * duplicate keys and `__proto__` keys are refused.
 */
export function loadConfig(file: string): AppConfig {
  return parseConfig(readConfigFile(file), file).config;
}

/**
 * Parses and validates the text of configuration file `file`; with `spans`,
 * also where each value is in `text` (see `parseStrictJson`), for a command
 * that edits the file in place.
 */
export function parseConfig(
  text: string,
  file: string,
  options: { readonly spans?: boolean } = {},
): { readonly config: AppConfig; readonly spans?: ReadonlyMap<string, JsonSpan> } {
  let parsed: ReturnType<typeof parseStrictJson>;
  try {
    parsed = parseStrictJson(text, options);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new ConfigError(file, [{ path: "(file)", message: error.message }]);
    throw error;
  }
  return { config: validateConfig(parsed.value, file, { parseProblems: parsed.problems }), spans: parsed.spans };
}

/** The text of a configuration file, refused (ConfigError) when it cannot be read or is over the size limit. */
export function readConfigFile(file: string): string {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CONFIG_FILE_BYTES) {
      throw new ConfigError(file, [
        { path: "(file)", message: `is ${size} bytes, over the ${MAX_CONFIG_FILE_BYTES}-byte limit of a configuration file; check that ${CONFIG_ENV_VAR} names the configuration` },
      ]);
    }
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(file, [
      { path: "(file)", message: `cannot read the file (${(error as NodeJS.ErrnoException).code}); check the path, or unset ${CONFIG_ENV_VAR} to use the default configuration` },
    ]);
  }
  return text;
}
