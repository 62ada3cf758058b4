/**
 * The key of a stack folder's `terraform init`: a hash of everything init
 * reads or installs from. Two inits with the same key install the same
 * providers and modules and configure the same backend, so a folder
 * initialized with a key need not be initialized again for it
 * (`reuseInit` of the offline stack check).
 */
import { createHash } from "crypto";
import * as fs from "fs";

/** What {@link initKey} hashes. */
export interface InitKeyInput {
  /** The stack's `cdk.tf.json`, parsed. */
  readonly config: Record<string, unknown>;
  /** The override file's content (it can replace the backend). */
  readonly override: string;
  /** The init command's arguments (`-reconfigure`, `-backend=false`). */
  readonly initArgs: readonly string[];
  /** The Terraform CLI config in use (its provider installation rules are hashed by content). @default none */
  readonly cliConfigFile?: string;
  /** The provider plugin cache folder. @default none */
  readonly pluginCacheDir?: string;
}

/**
 * Hashes the parts of a stack that init depends on: the `terraform` block
 * (required providers and their versions, backend, cloud), the module blocks
 * (sources and versions), the override, init's arguments, the CLI config's
 * content and the plugin cache. Resources and data sources are left out:
 * changing them needs a new plan, not a new init.
 */
export function initKey(input: InitKeyInput): string {
  const modules = (input.config.module ?? {}) as Record<string, { source?: unknown; version?: unknown }>;
  const moduleSources = Object.fromEntries(Object.entries(modules).map(([name, block]) => [name, [block?.source, block?.version]]));
  const parts = {
    terraform: input.config.terraform ?? null,
    modules: moduleSources,
    override: input.override,
    initArgs: input.initArgs,
    cliConfig: input.cliConfigFile !== undefined && fs.existsSync(input.cliConfigFile) ? fs.readFileSync(input.cliConfigFile, "utf8") : null,
    pluginCacheDir: input.pluginCacheDir ?? null,
  };
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
