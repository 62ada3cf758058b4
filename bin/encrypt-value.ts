#!/usr/bin/env node
/**
 * `lambda-kms-encrypt --key <key> --function <name> [--region <region>]`: the
 * package's bin (`npx lambda-kms-encrypt …` where the package is installed);
 * in the cdktf-lambda-kms repository, `npm run encrypt --silent -- …`.
 *
 * Encrypts one value for one Lambda function the way the Lambda console's
 * "encryption helpers" do: KMS `Encrypt` with the encryption context
 * `{ LambdaFunctionName: <name> }`, so that only that function (whose role
 * may decrypt under the condition `kms:EncryptionContext:LambdaFunctionName`)
 * can decrypt it, with `runtime/decryptEnvironment`. Prints only the base64
 * ciphertext on stdout, ready to paste into the configuration.
 *
 * The plaintext is read from stdin, never from the command line: arguments
 * land in shell history and are visible to every user in `ps`.
 *
 * Credentials, region and endpoint come from the standard AWS SDK chains
 * (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, SSO, …; `AWS_REGION`; `AWS_ENDPOINT_URL`
 * for a local emulator such as moto), `--region` overrides the region.
 *
 * Exit codes: 0 success, 1 AWS error, 2 usage error (flags, empty input).
 */
import { parseArgs } from "util";
import { FUNCTION_NAME_CONTEXT_KEY } from "../runtime/encrypted-environment";
import { awsErrorName } from "../runtime/errors";

/** The name users run the command by: the package's bin. */
const COMMAND = "lambda-kms-encrypt";

const USAGE = `usage: ${COMMAND} --key <key> --function <name> [--region <region>] < plaintext-file
       printf %s "$VALUE" | npx ${COMMAND} --key alias/payments-lambda-env --function orders-api --region eu-west-1
       npm run encrypt --silent -- --key <key> --function <name> [--region <region>] < plaintext-file   (in the cdktf-lambda-kms repository)

Encrypts the plaintext read from stdin with AWS KMS for one Lambda function
(encryption context {"LambdaFunctionName": "<name>"}) and prints only the base64
ciphertext, for the function's encryptedEnvironment in the configuration.

  --key <key>         KMS key: alias name (alias/…), alias ARN, key ID or key ARN.
                      Must be the customer-managed key of the function's stack.
  --function <name>   Lambda function name (not its ARN): the value decrypts only
                      with this name as encryption context.
  --region <region>   AWS region of the key (default: AWS_REGION / the profile).
  -h, --help          Show this help.

The plaintext is read from stdin (never from arguments, which land in shell
history); one trailing newline is removed. At most 4096 bytes (KMS limit), and
keep it small: all of a function's environment variables share 4 KB.
Credentials come from the standard AWS chain (AWS_PROFILE, SSO, environment);
AWS_ENDPOINT_URL points at a local emulator. stdout is the ciphertext alone
(with npm run, --silent keeps npm's own banner out of it).

Exit codes: 0 ok, 1 AWS error, 2 usage error.`;

/** KMS Encrypt accepts at most 4096 bytes of plaintext. */
const MAX_PLAINTEXT_BYTES = 4096;
/** Lambda function names (the `AWS_LAMBDA_FUNCTION_NAME` value the runtime uses as context). */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_FORMS = [
  /^alias\/[A-Za-z0-9/_-]+$/,
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^mrk-[0-9a-f]{32}$/i,
];

/** A failure with the exit code it maps to. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

interface Flags {
  readonly key: string;
  readonly functionName: string;
  readonly region?: string;
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
  const key = values.key as string;
  const functionName = values.function as string;
  if (/^(alias\/aws\/|arn:aws[a-z-]*:kms:[^:]*:\d{12}:alias\/aws\/)/.test(key)) {
    throw new CliError(`--key "${key}" is an AWS managed key; use the customer-managed key of the function's stack (e.g. alias/<workload>-lambda-env)`, 2);
  }
  if (!KEY_FORMS.some((form) => form.test(key))) {
    throw new CliError(`--key "${key}" is not a KMS key reference; use alias/<name>, an alias ARN, a key ID or a key ARN`, 2);
  }
  if (!FUNCTION_NAME.test(functionName)) {
    const arn = functionName.startsWith("arn:") ? "; pass the function name, not its ARN (the runtime uses AWS_LAMBDA_FUNCTION_NAME as context)" : "";
    throw new CliError(`--function "${functionName}" is not a Lambda function name (1-64 of A-Z a-z 0-9 - _)${arn}`, 2);
  }
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) {
    throw new CliError(`--region "${values.region}" is not an AWS region name (e.g. eu-west-1)`, 2);
  }
  return { key, functionName, region: values.region };
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

function awsHint(name: string, flags: Flags): string {
  switch (name) {
    case "NotFoundException":
      return `no key "${flags.key}" in this account and region; check --key and --region (or AWS_REGION)`;
    case "AccessDeniedException":
      return `your identity may not use kms:Encrypt on "${flags.key}" with this function's encryption context; list it in the account's helperEncrypterArns (or keyUserArns, with kms:Encrypt in its IAM policy) and deploy, then try again`;
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
      return "the KMS endpoint could not be reached; check --region, AWS_ENDPOINT_URL and the network";
    default:
      return /region/i.test(name) ? "no valid region configured: pass --region or set AWS_REGION" : "";
  }
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

  // Loaded only now: --help and usage errors stay instant.
  const { KMSClient, EncryptCommand } = await import("@aws-sdk/client-kms");
  const kms = new KMSClient(flags.region ? { region: flags.region } : {});
  let ciphertext: Uint8Array | undefined;
  try {
    const response = await kms.send(new EncryptCommand({ KeyId: flags.key, Plaintext: plaintext, EncryptionContext: { [FUNCTION_NAME_CONTEXT_KEY]: flags.functionName } }));
    ciphertext = response.CiphertextBlob;
  } catch (error) {
    const message = (error as { message?: string }).message;
    const name = awsErrorName(error);
    const hint = awsHint(name, flags);
    const detail = message && message !== name && message !== "UnknownError" ? `: ${message}` : "";
    throw new CliError(`KMS Encrypt with key "${flags.key}" failed: ${name}${detail}${hint ? `\nhint: ${hint}` : ""}`, 1);
  } finally {
    kms.destroy();
  }
  if (!ciphertext) throw new CliError("KMS Encrypt returned no ciphertext", 1);
  process.stdout.write(`${Buffer.from(ciphertext).toString("base64")}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof CliError) {
        process.stderr.write(`${COMMAND}: ${error.message}\n`);
        process.exitCode = error.exitCode;
      } else {
        process.stderr.write(`${COMMAND}: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
