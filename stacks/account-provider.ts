import { AwsProvider, AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, S3Backend, TerraformStack } from "cdktf";
import * as path from "path";
import { AccountConfig, AppConfig, EmulatorConfig, STACK_FOLDER_STATE_FILE } from "../config/app-config";
import { providerConstructId } from "./construct-ids";

export interface AccountStackSettings {
  readonly config: AppConfig;
  readonly account: AccountConfig;
  /** Absolute path of the folder the stack is finally written to (`<outdir>/stacks/<stack>`). */
  readonly stackDirectory: string;
}

/**
 * An AWS provider pinned to the account: `allowed_account_ids` makes
 * Terraform refuse any other account, whatever credentials are active.
 * `alias` gives an extra provider, e.g. for the audit home region.
 * `assumeRole: false` leaves out the account's `assumeRole` (the bootstrap
 * stack creates that role, so it runs with the caller's own credentials).
 */
export function addAccountProvider(
  stack: TerraformStack,
  settings: AccountStackSettings,
  region: string,
  alias?: string,
  options: { readonly assumeRole?: boolean } = {},
): AwsProvider {
  const { config, account } = settings;
  return new AwsProvider(stack, providerConstructId(alias), {
    alias,
    region,
    allowedAccountIds: [account.accountId],
    assumeRole:
      account.assumeRole && options.assumeRole !== false
        ? [{ roleArn: account.assumeRole.roleArn, sessionName: account.assumeRole.sessionName, externalId: account.assumeRole.externalId }]
        : undefined,
    defaultTags: [{ tags: { ...config.defaultTags, ...account.tags } }],
    ...(config.emulator ? emulatorSettings(config.emulator, account) : {}),
  });
}

/**
 * The services behind every resource type the app creates, plus STS, which
 * the provider calls to check `allowed_account_ids`. Each is an endpoint
 * name of the provider's `endpoints` block; a test checks that the
 * synthesized stacks use no other service.
 */
export const EMULATED_SERVICES = ["cloudtrail", "cloudwatch", "iam", "kms", "lambda", "logs", "s3", "secretsmanager", "signer", "sns", "sqs", "ssm", "sts"] as const;

/**
 * Provider settings for a local AWS API emulator: every service endpoint the
 * app uses, dummy credentials, and no checks that need real AWS. The access
 * key ID is the 12-digit account ID, which is how LocalStack (and the moto
 * launcher of the end-to-end test) tell accounts apart, so
 * `allowed_account_ids` is still checked against the emulator's answer.
 */
function emulatorSettings(emulator: EmulatorConfig, account: AccountConfig): Partial<AwsProviderConfig> {
  return {
    // With "environment", the credentials of the environment: the emulator knows which account issued them.
    ...(emulator.credentials === "account-id" ? { accessKey: account.accountId, secretKey: "emulator-dummy-secret", skipCredentialsValidation: true } : {}),
    skipMetadataApiCheck: "true",
    skipRegionValidation: true,
    // Buckets as URL paths: an emulator on 127.0.0.1 has no DNS for <bucket>.127.0.0.1.
    s3UsePathStyle: true,
    endpoints: [Object.fromEntries(EMULATED_SERVICES.map((service) => [service, emulator.endpoint]))],
  };
}

/**
 * The stack's state backend. A local state path is made relative to the
 * stack folder, so that `terraform -chdir=<stack folder>` finds the state
 * from any clone of the repository; with `stateInStackFolder` it is the
 * stack folder's own `terraform.tfstate`.
 */
export function addBackend(stack: TerraformStack, settings: AccountStackSettings): void {
  // Write-only attributes (secret seeding) and ephemeral variables need Terraform 1.11.
  stack.addOverride("terraform.required_version", ">= 1.11.0");
  const backend = settings.config.backend;
  const name = stack.node.id;
  if (backend.type === "local") {
    if (backend.stateInStackFolder) {
      new LocalBackend(stack, { path: STACK_FOLDER_STATE_FILE });
      return;
    }
    const inStateFolder = (file: string) => path.relative(settings.stackDirectory, path.join(backend.directory, file));
    // Non-default workspaces too: Terraform's default workspace_dir is inside the stack folder, which every synth replaces.
    new LocalBackend(stack, { path: inStateFolder(`${name}.tfstate`), workspaceDir: inStateFolder(`${name}.tfstate.d`) });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: `${backend.keyPrefix}/${name}.tfstate`,
    region: backend.region,
    encrypt: true,
    kmsKeyId: backend.kmsKeyId,
    dynamodbTable: backend.dynamodbTable,
  });
  // Not in cdktf 0.21's typed S3 backend config; both need Terraform ≥ 1.10 / 1.6.
  if (backend.useLockfile) s3.addOverride("use_lockfile", true);
  if (backend.roleArn) s3.addOverride("assume_role", { role_arn: backend.roleArn });
}
