/**
 * The contract between the constructs, the runtime library and the encrypt
 * command (runtime/contract.ts): the module imports nothing, and each side
 * uses its values — the synthesized function environment and policies, the
 * runtime's name listing and Decrypt call, the command's Encrypt call and
 * its name. KMS is a stub here that records the encryption context; the
 * real round trip through KMS is in encrypt-cli.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import type { DecryptCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import * as contract from "../../runtime/contract";
import {
  CIPHERTEXT_BASE64_PATTERN,
  ENCRYPTED_VARIABLES_ENV,
  ENCRYPTED_VARIABLES_SEPARATOR,
  ENCRYPT_COMMAND_NAME,
  FUNCTION_NAME_CONTEXT_CONDITION_KEY,
  FUNCTION_NAME_CONTEXT_KEY,
} from "../../runtime/contract";
import * as runtime from "../../runtime";
import { clearCaches, decryptEnvironment, encryptedVariableNames, resetClients, setClients } from "../../runtime";
import { EncryptClient, encryptValue, parseKeyArn } from "../../bin/encrypt-value";
import * as modules from "../../modules/environment-variables";
import { EncryptedFunction } from "../../modules/encrypted-function";
import { EncryptionKey } from "../../modules/encryption-key";
import { ciphertextProblem, environmentVariableNameProblem } from "../../modules/environment-variables";
import { Json, PolicyStatementJson, newStack, onlyResource, statementBySid, synthJson } from "../support/synth";

const REPO = path.resolve(__dirname, "..", "..");
const CONTRACT_FILE = path.join(REPO, "runtime", "contract.ts");
const CODE = path.join(REPO, "functions", "config-reader");
const ACCOUNT = "111111111111";
const REGION = "eu-west-1";
const FUNCTION = "orders-api";
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/operator`;
/** What the stub KMS returns as the ciphertext blob: as long as a real one, so the constructs accept it. */
const BLOB = Uint8Array.from({ length: 48 }, (_, i) => i * 5);

const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), "contract-test-"));
const savedEnv = { ...process.env };
afterAll(() => {
  fs.rmSync(OUTDIR, { recursive: true, force: true });
  process.env = savedEnv;
  resetClients();
  clearCaches();
});

describe("runtime/contract.ts", () => {
  const source = fs.readFileSync(CONTRACT_FILE, "utf8");
  const file = ts.createSourceFile(CONTRACT_FILE, source, ts.ScriptTarget.ES2022, true);

  test("imports and requires nothing, so that the runtime, the constructs and the command may all import it", () => {
    const { importedFiles } = ts.preProcessFile(source, true, true);
    expect(importedFiles.map((f) => f.fileName)).toEqual([]);
    // The same without the comments, which talk about imports.
    const code = file.statements.map((statement) => source.slice(statement.getStart(file), statement.end)).join("\n");
    expect(code).not.toMatch(/\bimport\b|\brequire\s*\(/);
  });

  test("is exported constants only, each with a JSDoc", () => {
    for (const statement of file.statements) {
      expect(ts.isVariableStatement(statement)).toBe(true);
      const variable = statement as ts.VariableStatement;
      expect(variable.modifiers?.map((m) => m.kind)).toEqual([ts.SyntaxKind.ExportKeyword]);
      expect(variable.declarationList.flags & ts.NodeFlags.Const).toBeTruthy();
      expect(ts.getJSDocCommentsAndTags(variable.declarationList.declarations[0]).length).toBeGreaterThan(0);
    }
    expect(Object.keys(contract).sort()).toEqual(file.statements.map((s) => (s as ts.VariableStatement).declarationList.declarations[0].name.getText(file)).sort());
  });

  test("derives the condition key from the context key", () => {
    expect(FUNCTION_NAME_CONTEXT_CONDITION_KEY).toBe(`kms:EncryptionContext:${FUNCTION_NAME_CONTEXT_KEY}`);
  });

  test("the earlier exported names are the contract's values", () => {
    expect(modules.ENCRYPTED_VARIABLES_LIST_NAME).toBe(ENCRYPTED_VARIABLES_ENV);
    expect(runtime.ENCRYPTED_VARIABLES_ENV).toBe(ENCRYPTED_VARIABLES_ENV);
    expect(runtime.FUNCTION_NAME_CONTEXT_KEY).toBe(FUNCTION_NAME_CONTEXT_KEY);
  });

  test("the encrypt command's name is the package's bin", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(Object.keys(pkg.bin)).toContain(ENCRYPT_COMMAND_NAME);
  });
});

describe("the constructs, the runtime and the encrypt command agree", () => {
  const contexts: Record<string, Record<string, string> | undefined> = {};
  let ciphertext: string;
  let environment: Record<string, string>;
  let rolePolicy: { Statement: PolicyStatementJson[] };
  let keyPolicy: { Statement: PolicyStatementJson[] };

  beforeAll(async () => {
    // The command: KMS Encrypt with the contract's context key.
    const encrypter: EncryptClient = {
      send: async (command: EncryptCommand) => {
        contexts.encrypt = command.input.EncryptionContext;
        return { KeyId: KEY_ARN, CiphertextBlob: BLOB, $metadata: {} };
      },
    };
    ciphertext = await encryptValue(encrypter, parseKeyArn(KEY_ARN), FUNCTION, Buffer.from("plaintext"));

    // The constructs: a function with that ciphertext (and another), and a key with a helper encrypter.
    const stack = newStack(OUTDIR, REGION);
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: REGION, aliases: ["lambda-env"], helperEncrypterArns: [OPERATOR] });
    new EncryptedFunction(stack, "fn", { functionName: FUNCTION, key, codeDirectory: CODE, encryptedEnvironment: { PARTNER_API_KEY: ciphertext, DB_PASSWORD: ciphertext } });
    const { resource } = synthJson(stack);
    const [, lambda] = onlyResource(resource, "aws_lambda_function");
    environment = (lambda.environment as Json).variables as Record<string, string>;
    rolePolicy = JSON.parse(onlyResource(resource, "aws_iam_role_policy")[1].policy as string);
    keyPolicy = JSON.parse(onlyResource(resource, "aws_kms_key")[1].policy as string);
  });

  test("the command's ciphertext has the contract's form, and the constructs accept it", () => {
    expect(ciphertext).toMatch(CIPHERTEXT_BASE64_PATTERN);
    expect(ciphertext.length % 4).toBe(0);
    expect(ciphertextProblem(ciphertext)).toBeUndefined();
  });

  test("the constructs list the encrypted variables under the contract's name, joined with its separator, and reserve that name", () => {
    expect(environment[ENCRYPTED_VARIABLES_ENV]).toBe(["DB_PASSWORD", "PARTNER_API_KEY"].join(ENCRYPTED_VARIABLES_SEPARATOR));
    expect(environmentVariableNameProblem(ENCRYPTED_VARIABLES_ENV)).toMatch(/is reserved/);
  });

  test("the execution role may decrypt only under the contract's condition key, with the function's name", () => {
    const statement = statementBySid(rolePolicy, "DecryptHelperEncryptedValues");
    expect(statement.Action).toEqual(["kms:Decrypt"]);
    expect(statement.Condition).toEqual({ StringEquals: { [FUNCTION_NAME_CONTEXT_CONDITION_KEY]: FUNCTION } });
  });

  test("helper encrypters may encrypt only with the contract's context key present", () => {
    const statement = statementBySid(keyPolicy, "OperatorsEncryptHelperValues");
    expect(statement.Principal).toEqual({ AWS: [OPERATOR] });
    expect(statement.Condition).toEqual({ Null: { [FUNCTION_NAME_CONTEXT_CONDITION_KEY]: "false" } });
  });

  test("the runtime reads the names from the variable the constructs set", () => {
    process.env = { ...savedEnv, [ENCRYPTED_VARIABLES_ENV]: ["B_NAME", " A_NAME ", "", "C_NAME"].join(ENCRYPTED_VARIABLES_SEPARATOR) };
    expect(encryptedVariableNames()).toEqual(["B_NAME", "A_NAME", "C_NAME"]);
    process.env = { ...savedEnv, ...environment };
    expect(encryptedVariableNames()).toEqual(["DB_PASSWORD", "PARTNER_API_KEY"]);
  });

  test("the runtime decrypts the synthesized environment with the context the command encrypted with and the role's condition allows", async () => {
    process.env = { ...savedEnv, ...environment, AWS_LAMBDA_FUNCTION_NAME: FUNCTION };
    const decryptContexts: Array<Record<string, string> | undefined> = [];
    const kms = {
      send: async (command: DecryptCommand) => {
        expect(Buffer.from(command.input.CiphertextBlob!)).toEqual(Buffer.from(BLOB));
        decryptContexts.push(command.input.EncryptionContext);
        return { Plaintext: Buffer.from("plaintext"), $metadata: {} };
      },
    } as unknown as KMSClient;
    clearCaches();
    setClients({ kms });
    await expect(decryptEnvironment()).resolves.toEqual({ DB_PASSWORD: "plaintext", PARTNER_API_KEY: "plaintext" });

    const expected = { [FUNCTION_NAME_CONTEXT_KEY]: FUNCTION };
    expect(contexts.encrypt).toEqual(expected);
    expect(decryptContexts).toEqual([expected, expected]);
    // The role's condition is on that very pair.
    const condition = statementBySid(rolePolicy, "DecryptHelperEncryptedValues").Condition?.StringEquals;
    expect(Object.entries(expected).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])).toEqual(Object.entries(condition ?? {}));
  });
});
