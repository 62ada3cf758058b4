#!/usr/bin/env node
/**
 * `lambda-kms-reencrypt --config <file> --account <name> [--write] [--expect-key <stack>=<key ARN>]…`:
 * the package's bin; in the cdktf-lambda-kms repository, `npm run reencrypt -- …`.
 *
 * After a manual rotation (the account's `keyGeneration` raised and deployed,
 * the earlier generations kept in `retiringKeyGenerations`), moves every
 * `encryptedEnvironment` ciphertext of one account in a configuration file to
 * the account's current key with KMS `ReEncrypt`: KMS decrypts with the old
 * key and encrypts with the new one, so the plaintext never leaves KMS. The
 * encryption context stays `{ LambdaFunctionName: <function> }`. It then sets
 * the account's `encryptedEnvironmentKeyGeneration`, after which the old
 * generations may be retired.
 *
 * Keys are found per stack by alias and checked before anything is
 * re-encrypted: `alias/<first alias>` and `alias/<first alias>-generation-<n>`
 * must resolve to the same enabled customer-managed key of the stack's
 * account and region, and each retiring generation's alias to another key
 * there; `--expect-key` pins a stack's current key ARN (from its `key_arn`
 * output), so that a repointed alias is refused rather than trusted. Each
 * `ReEncrypt` response must name the current key as destination and a key of
 * a live generation as source.
 *
 * A dry run (the default) only resolves and checks the keys and lists what it
 * would re-encrypt. `--write` re-encrypts, checks the edited file still loads,
 * keeps a backup (`<file>.<UTC time>.bak`) and replaces the file atomically;
 * only the ciphertexts and the generation change, every other byte stays.
 *
 * Credentials and endpoint come from the standard AWS SDK chains (a key user
 * of the account: the retiring keys let key users re-encrypt from them, the
 * current key lets them re-encrypt into it); `AWS_ENDPOINT_URL` points at a
 * local emulator. Exit codes: 0 success (or nothing to do), 1 AWS error or a
 * failed check (nothing written), 2 usage or configuration error.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import type { DescribeKeyCommand, DescribeKeyCommandOutput, ReEncryptCommand, ReEncryptCommandOutput } from "@aws-sdk/client-kms";
import { AccountConfig, AppConfig, targetStacks } from "../config/app-config";
import { parseConfig, readConfigFile } from "../config/load-config";
import { JsonSpan, jsonSpanKey } from "../config/strict-json";
import { ConfigError } from "../config/validate-config";
import { normalizeAliasName } from "../modules/private/aws-limits";
import { errorText, excerpt } from "../modules/private/safe-output";
import { FUNCTION_NAME_CONTEXT_KEY, REENCRYPT_COMMAND_NAME } from "../runtime/contract";
import { awsErrorName } from "../runtime/errors";
import { generationAliasName } from "../stacks/construct-ids";
import { CliError } from "./encrypt-value";

const COMMAND = REENCRYPT_COMMAND_NAME;

const USAGE = `usage: ${COMMAND} --config <file> --account <name> [--write] [--expect-key <stack>=<key ARN>]...
       npm run reencrypt -- --config <file> --account <name> [--write]   (in the cdktf-lambda-kms repository)

After a manual rotation (keyGeneration raised and deployed, the earlier generations
in retiringKeyGenerations), re-encrypts every encryptedEnvironment ciphertext of one
account under the account's current key with KMS ReEncrypt (the plaintext never
leaves KMS), then sets the account's encryptedEnvironmentKeyGeneration.

  --config <file>      The configuration file to update.
  --account <name>     The account (accounts[].name) whose ciphertexts move; run it
                       with credentials of a key user (keyUserArns) of that account.
  --write              Re-encrypt and rewrite the file (a backup <file>.<UTC time>.bak
                       is kept). Without it: a dry run that checks the keys and lists
                       what would be re-encrypted, and writes nothing.
  --expect-key <stack>=<key ARN>
                       The current key a stack must have (its key_arn output); the run
                       stops if the stack's aliases resolve to another key. Repeatable.
  -h, --help           Show this help.

Exit codes: 0 ok (or nothing to do), 1 AWS error or failed check (nothing written),
2 usage or configuration error.`;

// The encrypt command's failure type: one exit-code contract for both commands.
export { CliError };

/** The KMS calls the command makes (a stand-in can answer them in tests). */
export interface ReEncryptKmsClient {
  send(command: DescribeKeyCommand): Promise<DescribeKeyCommandOutput>;
  send(command: ReEncryptCommand): Promise<ReEncryptCommandOutput>;
}

export interface ReEncryptOptions {
  readonly configFile: string;
  readonly account: string;
  readonly write: boolean;
  /** Stack name → the key ARN its current key must have. @default none */
  readonly expectedKeys?: ReadonlyMap<string, string>;
  /** The KMS client of a region. */
  readonly kmsFor: (region: string) => ReEncryptKmsClient;
  /** Where progress lines go. */
  readonly log: (line: string) => void;
  /** For the backup's name. @default now */
  readonly now?: Date;
}

export interface ReEncryptResult {
  /** Ciphertexts re-encrypted (or, in a dry run, to re-encrypt). */
  readonly reEncrypted: number;
  /** Ciphertexts already under the current key, left as they were. */
  readonly alreadyCurrent: number;
  /** The backup written, with `--write`. */
  readonly backupFile?: string;
}

/** One `encryptedEnvironment` ciphertext of the account. */
interface HelperValue {
  /** Keys and indexes from the file's root, e.g. ["functions", 0, "encryptedEnvironment", "API_KEY", "prod-eu-west-1"]. */
  readonly segments: readonly (string | number)[];
  readonly functionName: string;
  readonly stack: string;
  readonly region: string;
  readonly ciphertext: string;
}

/** The keys of one stack, by ARN, as checked before re-encrypting. */
interface StackKeys {
  readonly current: string;
  /** Retiring generation → key ARN. */
  readonly retiring: ReadonlyMap<number, string>;
}

/** Re-encrypts the account's helper values (see the file comment); throws CliError. */
export async function reencryptConfig(options: ReEncryptOptions): Promise<ReEncryptResult> {
  const text = readConfigFile(options.configFile);
  const { config, spans } = parseConfig(text, options.configFile, { spans: true });
  const accountIndex = config.accounts.findIndex((a) => a.name === options.account);
  if (accountIndex === -1) {
    throw new CliError(`--account ${excerpt(options.account)} is not an account of ${options.configFile}; use one of ${config.accounts.map((a) => a.name).join(", ")}`, 2);
  }
  const account = config.accounts[accountIndex];
  const stacks = targetStacks(config.accounts, { accounts: [account.name] });
  for (const stack of options.expectedKeys?.keys() ?? []) {
    if (!stacks.some((s) => s.name === stack))
      throw new CliError(`--expect-key ${excerpt(stack)} is not a stack of account "${account.name}"; use one of ${stacks.map((s) => s.name).join(", ")}`, 2);
  }
  if (account.encryptedEnvironmentKeyGeneration === account.keyGeneration) {
    options.log(
      `nothing to do: the encryptedEnvironment ciphertexts of account "${account.name}" are under key generation ${account.keyGeneration} (encryptedEnvironmentKeyGeneration), the current one`,
    );
    return { reEncrypted: 0, alreadyCurrent: 0 };
  }
  const values = helperValues(config, account, stacks);

  const keys = new Map<string, StackKeys>();
  for (const stack of stacks) {
    keys.set(stack.name, await resolveStackKeys(options.kmsFor(stack.region), config, account, stack, options.expectedKeys?.get(stack.name)));
  }
  for (const stack of stacks) {
    const stackKeys = keys.get(stack.name)!;
    const count = values.filter((v) => v.stack === stack.name).length;
    const retiring = [...stackKeys.retiring].map(([generation, arn]) => `generation ${generation} ${arn}`).join(", ");
    options.log(`${stack.name}: ${count} ciphertext(s) from ${retiring || "no retiring key"} to generation ${account.keyGeneration} ${stackKeys.current}`);
  }
  if (!options.write) {
    options.log(
      `dry run: nothing re-encrypted, nothing written; run again with --write to re-encrypt ${values.length} ciphertext(s) and set encryptedEnvironmentKeyGeneration to ${account.keyGeneration}`,
    );
    return { reEncrypted: values.length, alreadyCurrent: 0 };
  }

  const edits: Edit[] = [];
  let alreadyCurrent = 0;
  for (const value of values) {
    const moved = await reEncrypt(options.kmsFor(value.region), value, keys.get(value.stack)!);
    if (moved === undefined) {
      alreadyCurrent++;
      continue;
    }
    const span = spans!.get(jsonSpanKey(value.segments))!;
    edits.push({ start: span.start, end: span.end, text: JSON.stringify(moved) });
  }
  edits.push(generationEdit(text, spans!, accountIndex, account.keyGeneration));
  const updated = applyEdits(text, edits);
  // The edited file must load as before, with the new generation: a broken file is never written.
  const check = parseConfig(updated, options.configFile).config.accounts[accountIndex];
  if (check.encryptedEnvironmentKeyGeneration !== account.keyGeneration)
    throw new Error(`internal error: the edited file does not set encryptedEnvironmentKeyGeneration to ${account.keyGeneration}`);
  const backupFile = replaceFile(options.configFile, text, updated, options.now ?? new Date());
  options.log(
    `re-encrypted ${values.length - alreadyCurrent} ciphertext(s) under generation ${account.keyGeneration} (${alreadyCurrent} already were) and set accounts[${accountIndex}].encryptedEnvironmentKeyGeneration to ${account.keyGeneration}; ` +
      `the previous file is ${backupFile}. Deploy, check the functions, then retire the old generations (remove them from retiringKeyGenerations)`,
  );
  return { reEncrypted: values.length - alreadyCurrent, alreadyCurrent, backupFile };
}

/**
 * Every ciphertext of every function of the account (whose stacks are
 * `stacks`, the first region's first), in file order. A ciphertext for the
 * whole account (multi-Region keys) is re-encrypted in the first region,
 * where the primary keys are.
 */
function helperValues(config: AppConfig, account: AccountConfig, stacks: readonly { name: string; region: string }[]): HelperValue[] {
  const entries = [{ key: account.name, stack: stacks[0] }, ...stacks.map((stack) => ({ key: stack.name, stack }))];
  return config.functions.flatMap((fn, i) =>
    !fn.accounts.includes(account.name)
      ? []
      : Object.entries(fn.encryptedEnvironment).flatMap(([variable, perStack]) =>
          entries
            .filter(({ key }) => Object.hasOwn(perStack, key))
            .map(({ key, stack }) => ({
              segments: ["functions", i, "encryptedEnvironment", variable, key],
              functionName: fn.name,
              stack: stack.name,
              region: stack.region,
              ciphertext: perStack[key],
            })),
        ),
  );
}

/**
 * Finds the stack's current and retiring keys by alias and checks them: the
 * configured first alias and the current generation's alias name the same
 * key, every key is an enabled customer-managed key of the stack's account
 * and region, and the current key is the expected one if given.
 */
async function resolveStackKeys(
  kms: ReEncryptKmsClient,
  config: AppConfig,
  account: AccountConfig,
  stack: { name: string; region: string },
  expected: string | undefined,
): Promise<StackKeys> {
  const first = normalizeAliasName(config.key.aliases[0]);
  const describe = async (alias: string): Promise<string> => {
    const { DescribeKeyCommand } = await import("@aws-sdk/client-kms");
    let metadata;
    try {
      metadata = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
    } catch (error) {
      const name = awsErrorName(error);
      const hint = name === "NotFoundException" ? `; deploy the stack ${stack.name} with keyGeneration ${account.keyGeneration} first` : "";
      throw new CliError(`${stack.name}: KMS DescribeKey of ${alias} failed: ${name}${hint}`, 1);
    }
    const arn = metadata?.Arn ?? "";
    const [, , , region, accountId] = arn.split(":");
    if (region !== stack.region || accountId !== account.accountId) {
      throw new CliError(
        `${stack.name}: ${alias} resolves to ${excerpt(arn)}, which is not a key of account ${account.accountId} in ${stack.region}; check who changed the alias`,
        1,
      );
    }
    if (metadata?.KeyManager !== "CUSTOMER" || metadata.KeyState !== "Enabled") {
      throw new CliError(
        `${stack.name}: ${alias} resolves to ${arn}, which is not an enabled customer-managed key (KeyManager ${metadata?.KeyManager}, KeyState ${metadata?.KeyState})`,
        1,
      );
    }
    return arn;
  };
  const generationAlias = (generation: number) => normalizeAliasName(generationAliasName(config.key.aliases[0], generation));
  const current = await describe(first);
  const currentByGeneration = await describe(generationAlias(account.keyGeneration));
  if (current !== currentByGeneration) {
    throw new CliError(
      `${stack.name}: ${first} resolves to ${current}, but the key of generation ${account.keyGeneration} (${generationAlias(account.keyGeneration)}) is ${currentByGeneration}; ` +
        `deploy the stack with keyGeneration ${account.keyGeneration} first, or find out who repointed ${first} (the key-change alarm reports alias changes)`,
      1,
    );
  }
  if (expected !== undefined && expected !== current) {
    throw new CliError(
      `${stack.name}: the current key is ${current}, not the expected ${excerpt(expected)} (--expect-key); check the stack's key_arn output and who changed the aliases`,
      1,
    );
  }
  const retiring = new Map<number, string>();
  for (const generation of account.retiringKeyGenerations.filter((g) => g >= account.encryptedEnvironmentKeyGeneration)) {
    const arn = await describe(generationAlias(generation));
    if (arn === current)
      throw new CliError(`${stack.name}: ${generationAlias(generation)} resolves to the current key ${current}; a retiring generation's alias must name its own key`, 1);
    retiring.set(generation, arn);
  }
  return { current, retiring };
}

/**
 * Re-encrypts one value under the stack's current key; undefined when it
 * already was under it (KMS reports the source key). Refuses a response
 * whose source or destination is not one of the stack's keys.
 */
async function reEncrypt(kms: ReEncryptKmsClient, value: HelperValue, keys: StackKeys): Promise<string | undefined> {
  const { ReEncryptCommand } = await import("@aws-sdk/client-kms");
  const at = `functions[${value.segments[1]}].encryptedEnvironment.${String(value.segments[3])}.${String(value.segments[4])}`;
  const context = { [FUNCTION_NAME_CONTEXT_KEY]: value.functionName };
  let response: ReEncryptCommandOutput;
  try {
    response = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: Buffer.from(value.ciphertext, "base64"),
        SourceEncryptionContext: context,
        DestinationKeyId: keys.current,
        DestinationEncryptionContext: context,
      }),
    );
  } catch (error) {
    const name = awsErrorName(error);
    const hint =
      name === "AccessDeniedException" ? " (run the command as a key user of the account, keyUserArns: the retiring keys let them re-encrypt from, the current key into)" : "";
    throw new CliError(`${at}: KMS ReEncrypt failed: ${name}${hint}; nothing was written`, 1);
  }
  if (response.KeyId !== keys.current) {
    throw new CliError(`${at}: KMS ReEncrypt answered with destination key ${excerpt(response.KeyId)}, not the current key ${keys.current}; nothing was written`, 1);
  }
  if (response.SourceKeyId === keys.current) return undefined;
  if (![...keys.retiring.values()].includes(response.SourceKeyId ?? "")) {
    throw new CliError(
      `${at}: the value was encrypted under ${excerpt(response.SourceKeyId)}, which is neither the current key nor a retiring generation's key of the stack; nothing was written`,
      1,
    );
  }
  if (!response.CiphertextBlob || response.CiphertextBlob.length === 0) throw new CliError(`${at}: KMS ReEncrypt returned no ciphertext; nothing was written`, 1);
  return Buffer.from(response.CiphertextBlob).toString("base64");
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Sets the account's `encryptedEnvironmentKeyGeneration`: its value replaced, or the member added first in the account's object. */
function generationEdit(text: string, spans: ReadonlyMap<string, JsonSpan>, accountIndex: number, generation: number): Edit {
  const existing = spans.get(jsonSpanKey(["accounts", accountIndex, "encryptedEnvironmentKeyGeneration"]));
  if (existing) return { ...existing, text: String(generation) };
  const object = spans.get(jsonSpanKey(["accounts", accountIndex]))!;
  // The new member takes the indentation of the account's first member.
  const indentation = /^\{(\s*)/.exec(text.slice(object.start, object.end))![1];
  const at = object.start + 1;
  return { start: at, end: at, text: `${indentation}"encryptedEnvironmentKeyGeneration": ${generation},` };
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

/**
 * Writes a backup of `original`, then replaces `file` with `updated` through
 * a temporary file in the same folder and a rename, so that the file is
 * either the old or the new one. Refuses when the file changed since it was
 * read. Returns the backup's path.
 */
function replaceFile(file: string, original: string, updated: string, now: Date): string {
  if (fs.readFileSync(file, "utf8") !== original) throw new CliError(`${file} changed while the values were re-encrypted; nothing was written — run the command again`, 1);
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const backupFile = `${file}.${stamp}.bak`;
  const mode = fs.statSync(file).mode & 0o777;
  fs.writeFileSync(backupFile, original, { flag: "wx", mode });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(temporary, "wx", mode);
    try {
      fs.writeFileSync(fd, updated);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return backupFile;
}

/** Parses the command line; "help" for -h. */
export function parseCommandLine(argv: string[]): Omit<ReEncryptOptions, "kmsFor" | "log" | "now"> | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        account: { type: "string" },
        write: { type: "boolean" },
        "expect-key": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values } = parsed;
  if (values.help) return "help";
  const missing = [values.config === undefined ? "--config" : "", values.account === undefined ? "--account" : ""].filter((flag) => flag !== "");
  if (missing.length > 0) throw new CliError(`missing ${missing.join(" and ")}\n\n${USAGE}`, 2);
  const expectedKeys = new Map<string, string>();
  for (const pin of values["expect-key"] ?? []) {
    const match = /^([^=]+)=(arn:[^:]+:kms:[^:]+:\d{12}:key\/[0-9a-z-]+)$/.exec(pin);
    if (!match) throw new CliError(`--expect-key ${excerpt(pin)} is not <stack>=<key ARN>, e.g. production-eu-west-1=arn:aws:kms:eu-west-1:111111111111:key/<key-id>`, 2);
    expectedKeys.set(match[1], match[2]);
  }
  return { configFile: path.resolve(values.config as string), account: values.account as string, write: values.write === true, expectedKeys };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { KMSClient } = await import("@aws-sdk/client-kms");
  const clients = new Map<string, InstanceType<typeof KMSClient>>();
  const kmsFor = (region: string) => {
    if (!clients.has(region)) clients.set(region, new KMSClient({ region }));
    return clients.get(region)!;
  };
  try {
    await reencryptConfig({ ...parsed, kmsFor, log: (line) => process.stdout.write(`${line}\n`) });
  } finally {
    for (const client of clients.values()) client.destroy();
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${errorText(error, `${COMMAND}: `)}\n`);
      process.exitCode = error instanceof CliError ? error.exitCode : error instanceof ConfigError ? 2 : 1;
    },
  );
}
