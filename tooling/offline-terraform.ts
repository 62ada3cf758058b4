/**
 * Terraform without the internet: providers come only from a local
 * filesystem mirror (our machines carry hashicorp/aws 5.100.0 in
 * /opt/tf-plugins). Shared by the offline plan tests and the end-to-end run.
 */
import * as fs from "fs";
import * as path from "path";
import { PROVIDER_MIRROR_ENV, readProviderMirror } from "../config/provider-mirror";

/** Mirror root the tests use when {@link PROVIDER_MIRROR_ENV} is not set. */
export const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";
/** Name of the CLI config written into the stack folder when none is given. */
export const CLI_CONFIG_FILE_NAME = ".terraform.offline.tfrc";

/**
 * Resolves the provider filesystem-mirror root for the tests and the
 * end-to-end run: `$TF_PROVIDER_MIRROR`, or `/opt/tf-plugins`. Throws, as
 * synth does, when the folder does not hold the `hashicorp/aws` version the
 * stacks require.
 */
export function resolveProviderMirror(): string {
  const fromEnv = process.env[PROVIDER_MIRROR_ENV];
  const set = fromEnv !== undefined && fromEnv.trim() !== "";
  try {
    return readProviderMirror({ [PROVIDER_MIRROR_ENV]: set ? fromEnv : DEFAULT_PROVIDER_MIRROR }) as string;
  } catch (error) {
    if (set) throw error;
    throw new Error(`${(error as Error).message} (${PROVIDER_MIRROR_ENV} is not set; ${DEFAULT_PROVIDER_MIRROR} is the tests' default)`);
  }
}

/**
 * Writes a Terraform CLI config that installs `hashicorp/*` providers only from
 * the filesystem mirror (never from the registry) into `dir` and returns its
 * path. Pass it to Terraform as `TF_CLI_CONFIG_FILE`.
 *
 * @param dir folder to write `.terraform.offline.tfrc` into (created if missing)
 * @param mirror mirror root; @default resolveProviderMirror()
 */
export function writeOfflineCliConfig(dir: string, mirror: string = resolveProviderMirror()): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, CLI_CONFIG_FILE_NAME);
  const config = [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    "  }",
    "  direct {",
    '    exclude = ["registry.terraform.io/hashicorp/*"]',
    "  }",
    "}",
    "",
  ].join("\n");
  fs.writeFileSync(file, config);
  return file;
}
