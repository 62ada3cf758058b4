/**
 * The provider mirror setting, for machines without access to the Terraform
 * registry: `TF_PROVIDER_MIRROR` names the root of a Terraform filesystem
 * mirror, the folder that holds `registry.terraform.io/hashicorp/aws/…`
 * (what `terraform providers mirror <folder>` writes on a connected machine,
 * packed or unpacked). See docs/offline.md.
 */
import * as fs from "fs";
import * as path from "path";

/** Environment variable naming the provider filesystem-mirror root. */
export const PROVIDER_MIRROR_ENV = "TF_PROVIDER_MIRROR";

/**
 * The `hashicorp/aws` version every stack requires: the one the installed
 * provider bindings were generated for (read from their package, so it
 * cannot drift from what the stacks declare).
 */
export const AWS_PROVIDER_VERSION: string = JSON.parse(fs.readFileSync(require.resolve("@cdktf/provider-aws/package.json"), "utf8")).cdktf.provider.version;

/**
 * The mirror root named by `TF_PROVIDER_MIRROR`, as an absolute path, or
 * `undefined` when the variable is not set (Terraform then installs providers
 * as usual, from the registry). Throws when the folder does not hold
 * `hashicorp/aws` at {@link AWS_PROVIDER_VERSION}, so a wrong path fails at
 * synth rather than at `terraform init`.
 */
export function readProviderMirror(env: NodeJS.ProcessEnv): string | undefined {
  const value = env[PROVIDER_MIRROR_ENV];
  if (value === undefined || value.trim() === "") return undefined;
  const mirror = path.resolve(value);
  const awsFolder = path.join(mirror, "registry.terraform.io", "hashicorp", "aws");
  const unpacked = path.join(awsFolder, AWS_PROVIDER_VERSION);
  const packedPrefix = `terraform-provider-aws_${AWS_PROVIDER_VERSION}_`;
  const packed = isDirectory(awsFolder) && fs.readdirSync(awsFolder).some((file) => file.startsWith(packedPrefix) && file.endsWith(".zip"));
  if (!isDirectory(unpacked) && !packed) {
    throw new Error(
      `${PROVIDER_MIRROR_ENV}=${JSON.stringify(value)} holds no hashicorp/aws ${AWS_PROVIDER_VERSION}: looked for the folder ${unpacked}/ ` +
        `and for ${path.join(awsFolder, `${packedPrefix}<os>_<arch>.zip`)}. Set ${PROVIDER_MIRROR_ENV} to the folder that holds registry.terraform.io/, ` +
        `fill it on a machine with registry access (terraform providers mirror -platform=linux_amd64 <folder>, run in a synthesized stack folder), ` +
        `or unset ${PROVIDER_MIRROR_ENV} to install providers from the registry.`,
    );
  }
  return mirror;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
