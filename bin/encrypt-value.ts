#!/usr/bin/env node
/**
 * `lambda-kms-encrypt --key <key ARN> --function <name> [--region <region>]`:
 * the package's bin (`npx lambda-kms-encrypt …` where the package is
 * installed); in the cdktf-lambda-kms repository, `npm run encrypt --silent -- …`.
 *
 * Encrypts one value for one Lambda function the way the Lambda console's
 * "encryption helpers" do: KMS `Encrypt` with the encryption context
 * `{ LambdaFunctionName: <name> }`, so that only that function (whose role
 * may decrypt under the condition `kms:EncryptionContext:LambdaFunctionName`)
 * can decrypt it, with `runtime/decryptEnvironment`. Prints only the base64
 * ciphertext on stdout, ready to paste into the configuration.
 *
 * `--key` takes only a key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`),
 * the workload stack's `key_arn` output. Aliases (names and ARNs) are refused:
 * anyone with `kms:UpdateAlias` can repoint an alias to a key they own, and the
 * value would then be sent to, and readable with, their key. A bare key ID is
 * refused too: it does not pin the account and region. The request goes to
 * the ARN's region (`--region`, if given, must agree), and the ciphertext is
 * printed only if KMS answers that it used exactly that key (`KeyId` of the
 * response).
 *
 * The plaintext is read from stdin, never from the command line: arguments
 * land in shell history and are visible to every user in `ps`.
 *
 * Credentials and endpoint come from the standard AWS SDK chains
 * (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, SSO, …; `AWS_ENDPOINT_URL` for a local
 * emulator such as moto); the region is the key ARN's (`AWS_REGION` is not used).
 *
 * Exit codes: 0 success, 1 AWS error (or KMS used another key), 2 usage error
 * (flags, empty input).
 */
import { parseArgs } from "util";
import type { EncryptCommand, EncryptCommandOutput } from "@aws-sdk/client-kms";
import { ENCRYPT_COMMAND_NAME, FUNCTION_NAME_CONTEXT_KEY } from "../runtime/contract";
import { awsErrorName } from "../runtime/errors";
import { errorText, excerpt } from "../modules/private/safe-output";

/** The name users run the command by: the package's bin. */
const COMMAND = ENCRYPT_COMMAND_NAME;

const USAGE = `usage: ${COMMAND} --key <key> --function <name> [--region <region>] < plaintext-file
       printf %s "$VALUE" | npx ${COMMAND} --key "$(terraform -chdir=cdktf.out/stacks/production-eu-west-1 output -raw key_arn)" --function orders-api
       npm run encrypt --silent -- --key <key> --function <name> [--region <region>] < plaintext-file   (in the cdktf-lambda-kms repository)

Encrypts the plaintext read from stdin with AWS KMS for one Lambda function
(encryption context {"${FUNCTION_NAME_CONTEXT_KEY}": "<name>"}) and prints only the base64
ciphertext, for the function's encryptedEnvironment in the configuration.

  --key <key>         The key ARN, arn:<partition>:kms:<region>:<account-id>:key/<key-id>,
                      of the customer-managed key of the function's stack: the stack's
                      key_arn output (terraform -chdir=cdktf.out/stacks/<stack> output
                      -raw key_arn, or cdktf output <stack>). Aliases, alias ARNs and
                      bare key IDs are refused: anyone with kms:UpdateAlias can repoint
                      an alias to a key they own, and a key ID does not pin the account
                      and region.
  --function <name>   Lambda function name (not its ARN): the value decrypts only
                      with this name as encryption context.
  --region <region>   Optional: must equal the region in the key ARN. The request
                      always goes to the key ARN's region (AWS_REGION is not used).
  -h, --help          Show this help.

The plaintext is read from stdin (never from arguments, which land in shell
history); one trailing newline is removed. At most 4096 bytes (KMS limit), and
keep it small: all of a function's environment variables share 4 KB.
The ciphertext is printed only if KMS reports that it encrypted with exactly
the key ARN given. Credentials come from the standard AWS chain (AWS_PROFILE,
SSO, environment); AWS_ENDPOINT_URL points at a local emulator. stdout is the
ciphertext alone (with npm run, --silent keeps npm's own banner out of it).

Exit codes: 0 ok, 1 AWS error (or KMS used another key), 2 usage error.`;

/** A failure with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** KMS Encrypt accepts at most 4096 bytes of plaintext. */
const MAX_PLAINTEXT_BYTES = 4096;
/** Lambda function names (the `AWS_LAMBDA_FUNCTION_NAME` value the runtime uses as context). */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** AWS region names, e.g. `eu-west-1`, `us-gov-west-1`. */
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
/** A KMS key ID: a UUID, or `mrk-…` for a multi-Region key. Lowercase, as KMS writes them in ARNs. */
const KEY_ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}";
/** The one accepted form of `--key`: `arn:<partition>:kms:<region>:<account>:key/<key-id>`. */
const KEY_ARN = new RegExp(`^arn:(?<partition>aws[a-z-]*):kms:(?<region>${REGION.source.slice(1, -1)}):(?<accountId>\\d{12}):key/(?<keyId>${KEY_ID})$`);
const KEY_ARN_FORM = "arn:<partition>:kms:<region>:<account-id>:key/<key-id>";

/**
 * Where to get the key ARN. `aws kms describe-key` resolves an alias as it
 * points now, which is exactly what cannot be trusted: only with a check.
 */
function howToGetKeyArn(reference = "alias/<name>"): string {
  return (
    `Pass the key ARN (${KEY_ARN_FORM}) of the function's stack: its Terraform output key_arn, ` +
    `e.g. terraform -chdir=cdktf.out/stacks/<account>-<region> output -raw key_arn (or cdktf output <account>-<region>). ` +
    `"aws kms describe-key --key-id ${reference} --query KeyMetadata.Arn --output text" answers with whatever key that resolves to now, ` +
    `in your current account and region: use its result only after checking it against that output`
  );
}

/** A parsed `--key`. */
export interface KeyArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly keyId: string;
}

/**
 * Accepts only a key ARN; says why anything else (an alias, an alias ARN, a
 * key ID, an AWS managed key) is refused and where to get the ARN.
 */
export function parseKeyArn(key: string): KeyArn {
  const parts = KEY_ARN.exec(key)?.groups;
  if (parts) return { arn: key, partition: parts.partition, region: parts.region, accountId: parts.accountId, keyId: parts.keyId };
  if (/^(alias\/aws\/|arn:[^:]*:kms:[^:]*:[^:]*:alias\/aws\/)/.test(key)) {
    throw new CliError(`--key ${excerpt(key)} is an AWS managed key; use the customer-managed key of the function's stack. ${howToGetKeyArn()}`, 2);
  }
  const alias = /^alias\//.test(key) ? "an alias name" : /^arn:[^:]*:kms:[^:]*:[^:]*:alias\//.test(key) ? "an alias ARN" : undefined;
  if (alias) {
    throw new CliError(
      `--key ${excerpt(key)} is ${alias}; aliases are refused because anyone with kms:UpdateAlias can repoint an alias to a key they own, ` +
        `and the value would then be sent to, and readable with, their key. ${howToGetKeyArn(key)}`,
      2,
    );
  }
  if (new RegExp(`^(${KEY_ID})$`, "i").test(key)) {
    throw new CliError(`--key ${excerpt(key)} is a key ID; a key ID alone does not pin the account and region the value is sent to. ${howToGetKeyArn(key)}`, 2);
  }
  // Not echoed: a value that is no key reference at all may be the plaintext, pasted into the wrong place.
  throw new CliError(`--key (${Array.from(key).length} characters, not shown) is not a KMS key ARN (aliases and key IDs are refused). ${howToGetKeyArn()}`, 2);
}

interface Flags {
  readonly key: KeyArn;
  readonly functionName: string;
}

function parseFlags(argv: string[]): Flags | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        key: { type: "string" },
        function: { type: "string" },
        region: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 0) {
    // Most likely the plaintext itself: do not echo it back.
    throw new CliError(`unexpected argument(s) (${positionals.length}); the plaintext is read from stdin, never from arguments\n\n${USAGE}`, 2);
  }
  const missing = [values.key === undefined ? "--key" : "", values.function === undefined ? "--function" : ""].filter((flag) => flag !== "");
  if (missing.length > 0) throw new CliError(`missing ${missing.join(" and ")}\n\n${USAGE}`, 2);
  const key = parseKeyArn(values.key as string);
  const functionName = values.function as string;
  if (!FUNCTION_NAME.test(functionName)) {
    const arn = functionName.startsWith("arn:") ? "; pass the function name, not its ARN (the runtime uses AWS_LAMBDA_FUNCTION_NAME as context)" : "";
    // Not echoed either, for the same reason as --key.
    throw new CliError(`--function (${Array.from(functionName).length} characters, not shown) is not a Lambda function name (1-64 of A-Z a-z 0-9 - _)${arn}`, 2);
  }
  if (values.region !== undefined) {
    if (!REGION.test(values.region)) throw new CliError(`--region "${values.region}" is not an AWS region name (e.g. eu-west-1)`, 2);
    if (values.region !== key.region) {
      throw new CliError(
        `--region "${values.region}" differs from the region "${key.region}" in the key ARN; the request goes to the key's region. ` +
          `Drop --region, or pass the key ARN of the function's stack in ${values.region}`,
        2,
      );
    }
  }
  return { key, functionName };
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    process.stderr.write("reading the plaintext from the terminal; end with Ctrl-D (it is echoed: prefer a pipe or a file)\n");
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Removes one trailing newline (`\n` or `\r\n`), as `echo` and editors add one. */
export function trimOneNewline(input: Buffer): Buffer {
  if (input.length > 0 && input[input.length - 1] === 0x0a) {
    const end = input.length >= 2 && input[input.length - 2] === 0x0d ? input.length - 2 : input.length - 1;
    return input.subarray(0, end);
  }
  return input;
}

function awsHint(name: string, key: KeyArn): string {
  switch (name) {
    case "NotFoundException":
      return `no key "${key.arn}" for these credentials; check that they are for account ${key.accountId} and that the key ARN is the key_arn output of the function's stack`;
    case "AccessDeniedException":
      return `your identity may not use kms:Encrypt on "${key.arn}" with this function's encryption context; list it in the account's helperEncrypterArns (or keyUserArns, with kms:Encrypt in its IAM policy) and deploy, then try again`;
    case "DisabledException":
      return "the key is disabled; enable it first";
    case "KMSInvalidStateException":
      return "the key is pending deletion or otherwise unusable";
    case "InvalidKeyUsageException":
      return "the key is not a symmetric ENCRYPT_DECRYPT key";
    case "CredentialsProviderError":
      return "no AWS credentials found: set AWS_PROFILE (or run aws sso login), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
    case "ExpiredTokenException":
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
      return "the AWS credentials are expired or invalid; refresh them";
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "ETIMEDOUT":
      return `the KMS endpoint of ${key.region} (the key ARN's region) could not be reached; check AWS_ENDPOINT_URL and the network`;
    default:
      return "";
  }
}

/** The one call the command makes: a KMS client's `send` (injectable in tests). */
export interface EncryptClient {
  send(command: EncryptCommand): Promise<EncryptCommandOutput>;
}

/**
 * KMS `Encrypt` of `plaintext` for `functionName` with exactly `key`; returns
 * the base64 ciphertext. Fails (exit 1) if KMS reports that it encrypted with
 * any other key than the ARN asked for, so no such ciphertext is printed.
 */
export async function encryptValue(kms: EncryptClient, key: KeyArn, functionName: string, plaintext: Uint8Array): Promise<string> {
  // Loaded only now: --help and usage errors stay instant.
  const { EncryptCommand } = await import("@aws-sdk/client-kms");
  let response: EncryptCommandOutput;
  try {
    response = await kms.send(new EncryptCommand({ KeyId: key.arn, Plaintext: plaintext, EncryptionContext: { [FUNCTION_NAME_CONTEXT_KEY]: functionName } }));
  } catch (error) {
    const message = (error as { message?: string }).message;
    const name = awsErrorName(error);
    const hint = awsHint(name, key);
    const detail = message && message !== name && message !== "UnknownError" ? `: ${message}` : "";
    throw new CliError(`KMS Encrypt with key "${key.arn}" failed: ${name}${detail}${hint ? `\nhint: ${hint}` : ""}`, 1);
  }
  // KMS answers with the ARN of the key it used: anything else is not the key asked for.
  if (response.KeyId !== key.arn) {
    throw new CliError(
      `KMS Encrypt answered with key ${response.KeyId === undefined ? "(none)" : `"${response.KeyId}"`}, not the requested "${key.arn}"; ` +
        "no ciphertext printed. Check AWS_ENDPOINT_URL and the credentials before trying again",
      1,
    );
  }
  if (!response.CiphertextBlob || response.CiphertextBlob.length === 0) throw new CliError("KMS Encrypt returned no ciphertext", 1);
  return Buffer.from(response.CiphertextBlob).toString("base64");
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const plaintext = trimOneNewline(await readStdin());
  if (plaintext.length === 0) throw new CliError(`stdin is empty: pipe the value to encrypt, e.g. printf %s "$VALUE" | npx ${COMMAND} --key <key> --function <name>`, 2);
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new CliError(`the plaintext is ${plaintext.length} bytes; KMS Encrypt accepts at most ${MAX_PLAINTEXT_BYTES} (store larger values in Secrets Manager)`, 2);
  }

  const { KMSClient } = await import("@aws-sdk/client-kms");
  // The key ARN's region, never AWS_REGION's: the request goes where the ARN says.
  const kms = new KMSClient({ region: flags.key.region });
  try {
    process.stdout.write(`${await encryptValue(kms, flags.key, flags.functionName, plaintext)}\n`);
  } finally {
    kms.destroy();
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${errorText(error, error instanceof CliError ? `${COMMAND}: ` : `${COMMAND}: unexpected error: `)}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : 1;
    },
  );
}
