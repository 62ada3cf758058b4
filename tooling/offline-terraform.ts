/**
 * Terraform without the internet: providers come only from a local
 * filesystem mirror (our machines carry hashicorp/aws 5.100.0 in
 * /opt/tf-plugins). Shared by the offline plan tests and the end-to-end run.
 */
import * as fs from "fs";
import * as path from "path";

/** Environment variable naming the provider filesystem-mirror root. */
export const PROVIDER_MIRROR_ENV = "TF_PROVIDER_MIRROR";
/** Mirror root used when {@link PROVIDER_MIRROR_ENV} is not set. */
export const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";
/** Name of the CLI config written into the stack folder when none is given. */
export const CLI_CONFIG_FILE_NAME = ".terraform.offline.tfrc";

/**
 * Resolves the provider filesystem-mirror root: `$TF_PROVIDER_MIRROR`, or
 * `/opt/tf-plugins`. Throws when the folder does not hold
 * `registry.terraform.io/hashicorp/aws/`.
 */
export function resolveProviderMirror(): string {
  const fromEnv = process.env[PROVIDER_MIRROR_ENV];
  const mirror = path.resolve(fromEnv && fromEnv.trim() !== "" ? fromEnv : DEFAULT_PROVIDER_MIRROR);
  const awsDir = path.join(mirror, "registry.terraform.io", "hashicorp", "aws");
  if (!isDirectory(awsDir)) {
    const source = fromEnv ? `${PROVIDER_MIRROR_ENV}=${fromEnv}` : `the default ${DEFAULT_PROVIDER_MIRROR} (${PROVIDER_MIRROR_ENV} is not set)`;
    throw new Error(
      `terraform provider mirror not found: looked for the folder ${awsDir} from ${source}. ` +
        `Set ${PROVIDER_MIRROR_ENV} to the filesystem-mirror root, i.e. the folder that holds ` +
        `registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_v<version>_x5 ` +
        `(e.g. ${PROVIDER_MIRROR_ENV}=${DEFAULT_PROVIDER_MIRROR}).`,
    );
  }
  return mirror;
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

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
