/**
 * decryptEnvironment / getDecryptedVariable against moto's real KMS: values
 * encrypted client-side with the encryption context
 * { LambdaFunctionName: "orders-api" }, decrypted once per execution
 * environment. KMS calls are counted by an SDK middleware on the client the
 * library uses (support/moto.ts countCalls), i.e. real HTTP requests.
 */
import { inspect } from "util";
import { CreateKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { MotoClients, MotoServer, motoClients, motoEnvironment, startMoto } from "../support/moto";
import { RuntimeSecretError, clearCaches, decryptEnvironment, getDecryptedVariable, resetClients, setClients } from "../../runtime";

const FUNCTION = "orders-api";
const PLAINTEXTS = { DB_PASSWORD: "hunter2-db-password", API_KEY: "sk_live_0123456789abcdef", WEBHOOK_SECRET: "whsec_s3cr3t-ünïcödé" } as const;

let moto: MotoServer;
/** Clients for test setup (encrypting), counted separately from the library's. */
let setup: MotoClients;
/** Clients the library under test uses; their counters are the measurement. */
let lib: MotoClients;
let keyId: string;
const ciphertexts: Record<string, string> = {};
const savedEnv = { ...process.env };

async function encrypt(plaintext: string, functionName = FUNCTION, kms: KMSClient = setup.kms): Promise<string> {
  const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext), EncryptionContext: { LambdaFunctionName: functionName } }));
  return Buffer.from(CiphertextBlob!).toString("base64");
}

/** Catches the rejection of a promise as a RuntimeSecretError (fails the test otherwise). */
async function failure(promise: Promise<unknown>): Promise<RuntimeSecretError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeSecretError);
  return error as RuntimeSecretError;
}

/** Asserts that nothing printable about the error reveals a plaintext or a whole ciphertext. */
function expectNoSecretsIn(error: unknown, ...secrets: string[]): void {
  const printed = [String(error), (error as Error).stack ?? "", inspect(error, { depth: 6 }), JSON.stringify(error)].join("\n");
  for (const secret of secrets) expect(printed).not.toContain(secret);
}

beforeAll(async () => {
  moto = await startMoto();
  setup = motoClients(moto.endpoint);
  lib = motoClients(moto.endpoint);
  keyId = (await setup.kms.send(new CreateKeyCommand({ Description: "orders workload key (test)" }))).KeyMetadata!.KeyId!;
  for (const [name, plaintext] of Object.entries(PLAINTEXTS)) ciphertexts[name] = await encrypt(plaintext);
});

afterAll(async () => {
  process.env = savedEnv;
  resetClients();
  setup?.destroy();
  lib?.destroy();
  await moto?.stop();
});

beforeEach(() => {
  process.env = { ...savedEnv, AWS_LAMBDA_FUNCTION_NAME: FUNCTION, LAMBDA_KMS_ENCRYPTED_VARIABLES: Object.keys(PLAINTEXTS).join(","), ...ciphertexts };
  clearCaches(); // a fresh execution environment
  setClients({ kms: lib.kms });
  lib.calls.kms.reset();
});

describe("cold and warm starts", () => {
  test("decrypts every listed variable with the function's encryption context", async () => {
    await expect(decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
  });

  test("a cold start makes exactly one KMS Decrypt per encrypted variable, all in parallel", async () => {
    await decryptEnvironment();
    expect(lib.calls.kms.counts).toEqual({ DecryptCommand: Object.keys(PLAINTEXTS).length });
    expect(lib.calls.kms.maxInFlight).toBe(Object.keys(PLAINTEXTS).length);
  });

  test("a warm invocation makes no KMS call", async () => {
    await decryptEnvironment();
    lib.calls.kms.reset();
    // Three more "invocations", by both entry points.
    await expect(decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
    await expect(decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
    await expect(getDecryptedVariable("API_KEY")).resolves.toBe(PLAINTEXTS.API_KEY);
    expect(lib.calls.kms.counts).toEqual({});
  });

  test("concurrent cold callers share one Decrypt per variable", async () => {
    const results = await Promise.all([decryptEnvironment(), decryptEnvironment(), getDecryptedVariable("DB_PASSWORD"), decryptEnvironment()]);
    expect(results[0]).toEqual(PLAINTEXTS);
    expect(results[2]).toBe(PLAINTEXTS.DB_PASSWORD);
    expect(lib.calls.kms.count("DecryptCommand")).toBe(Object.keys(PLAINTEXTS).length);
  });

  test("fresh module state (a new execution environment) decrypts again, once per variable", async () => {
    await decryptEnvironment(); // warms this module instance
    lib.calls.kms.reset();
    let fresh: typeof import("../../runtime") | undefined;
    jest.isolateModules(() => {
      fresh = jest.requireActual<typeof import("../../runtime")>("../../runtime");
    });
    fresh!.setClients({ kms: lib.kms });
    await expect(fresh!.decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
    await expect(fresh!.decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
    expect(lib.calls.kms.counts).toEqual({ DecryptCommand: Object.keys(PLAINTEXTS).length });
    // The first module instance is still warm.
    await decryptEnvironment();
    expect(lib.calls.kms.count("DecryptCommand")).toBe(Object.keys(PLAINTEXTS).length);
  });

  test("options.names selects variables without LAMBDA_KMS_ENCRYPTED_VARIABLES", async () => {
    delete process.env.LAMBDA_KMS_ENCRYPTED_VARIABLES;
    await expect(decryptEnvironment()).resolves.toEqual({});
    await expect(decryptEnvironment({ names: ["API_KEY", "API_KEY", " DB_PASSWORD "] })).resolves.toEqual({
      API_KEY: PLAINTEXTS.API_KEY,
      DB_PASSWORD: PLAINTEXTS.DB_PASSWORD,
    });
    expect(lib.calls.kms.count("DecryptCommand")).toBe(2);
  });

  test("the default client honours AWS_ENDPOINT_URL and the standard credential chain", async () => {
    resetClients(); // no injected client: the library creates its own
    process.env = { ...process.env, ...motoEnvironment(moto.endpoint) };
    await expect(getDecryptedVariable("WEBHOOK_SECRET")).resolves.toBe(PLAINTEXTS.WEBHOOK_SECRET);
    resetClients();
  });
});

describe("failures", () => {
  test("fails when the value was encrypted for another function", async () => {
    const plaintext = "billing-only-s3cr3t";
    const ciphertext = await encrypt(plaintext, "billing-api");
    process.env.DB_PASSWORD = ciphertext;
    const error = await failure(decryptEnvironment());
    expect(error.variable).toBe("DB_PASSWORD");
    expect(error.awsErrorName).toBe("InvalidCiphertextException");
    expect(error.service).toBe("kms");
    expect(error.operation).toBe("Decrypt");
    expect(error.message).toMatch(
      /^cannot decrypt environment variable "DB_PASSWORD" \(\d+ base64 chars, sha256 [0-9a-f]{12}…\) for function "orders-api": InvalidCiphertextException/,
    );
    expect(error.hint).toContain("LambdaFunctionName=orders-api");
    // The package's bin first (what a package user has), the repository's script second.
    expect(error.hint).toContain('re-encrypt it with "npx lambda-kms-encrypt --key <key> --function orders-api" ("npm run encrypt -- …" in the cdktf-lambda-kms repository)');
    expectNoSecretsIn(error, plaintext, ciphertext, ...Object.values(PLAINTEXTS));
  });

  test("fails when the ciphertext is base64 but not a KMS ciphertext", async () => {
    const garbage = Buffer.from("definitely not a KMS ciphertext blob, but base64 all the same").toString("base64");
    process.env.API_KEY = garbage;
    const error = await failure(getDecryptedVariable("API_KEY"));
    expect(error).toMatchObject({ variable: "API_KEY", awsErrorName: "InvalidCiphertextException", code: "InvalidCiphertextException" });
    expectNoSecretsIn(error, garbage);
  });

  test("fails when the value is not base64, without calling KMS", async () => {
    process.env.API_KEY = "sk_live_pasted-the-plaintext-by-mistake!";
    process.env.LAMBDA_KMS_ENCRYPTED_VARIABLES = "API_KEY";
    const error = await failure(decryptEnvironment());
    expect(error).toMatchObject({ variable: "API_KEY", code: "InvalidBase64", awsErrorName: undefined });
    expect(error.message).toMatch(/cannot decrypt environment variable "API_KEY": InvalidBase64\. the value \(\d+ base64 chars, sha256 [0-9a-f]{12}…\) is not base64/);
    expect(error.message).toContain(
      'set it to the exact output of "npx lambda-kms-encrypt --key <key> --function orders-api" ("npm run encrypt -- …" in the cdktf-lambda-kms repository)',
    );
    expectNoSecretsIn(error, "sk_live_pasted-the-plaintext-by-mistake!");
    expect(lib.calls.kms.count("DecryptCommand")).toBe(0);
  });

  test("fails when a listed variable is not set, without calling KMS", async () => {
    process.env.LAMBDA_KMS_ENCRYPTED_VARIABLES = "DB_PASSWORD,MISSING_ONE";
    const error = await failure(decryptEnvironment());
    expect(error).toMatchObject({ variable: "MISSING_ONE", code: "MissingVariable" });
    expect(error.message).toContain("LAMBDA_KMS_ENCRYPTED_VARIABLES");
    expect(error.message).toContain('set it to the output of "npx lambda-kms-encrypt" ("npm run encrypt" in the cdktf-lambda-kms repository)');
    // DB_PASSWORD was still decrypted (and memoized): one call, not retried later.
    expect(lib.calls.kms.count("DecryptCommand")).toBe(1);
    await getDecryptedVariable("DB_PASSWORD");
    expect(lib.calls.kms.count("DecryptCommand")).toBe(1);
  });

  test("fails when AWS_LAMBDA_FUNCTION_NAME is not set and no functionName is given", async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const error = await failure(decryptEnvironment());
    expect(error).toMatchObject({ code: "MissingFunctionName", variable: "DB_PASSWORD" });
    await expect(decryptEnvironment({ functionName: FUNCTION })).resolves.toEqual(PLAINTEXTS);
  });

  test("a failure is not cached: the next call retries, and only the failed variable", async () => {
    let failuresLeft = 1;
    const flaky = motoClients(moto.endpoint);
    // Fault injection before the request is sent: KMS answers AccessDeniedException once.
    flaky.kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "DecryptCommand" && failuresLeft-- > 0) {
          throw Object.assign(new Error("User: arn:aws:sts::123456789012:assumed-role/orders-api-role/orders-api is not authorized to perform: kms:Decrypt"), {
            name: "AccessDeniedException",
          });
        }
        return next(args);
      },
      { step: "initialize", name: "failOnce" },
    );
    setClients({ kms: flaky.kms });
    try {
      const error = await failure(decryptEnvironment());
      expect(error).toMatchObject({ variable: "DB_PASSWORD", awsErrorName: "AccessDeniedException" });
      expect(error.hint).toContain("kms:Decrypt");
      expect(error.hint).toContain("kms:EncryptionContext:LambdaFunctionName=orders-api");
      expect(flaky.calls.kms.count("DecryptCommand")).toBe(2); // the other two went through
      await expect(decryptEnvironment()).resolves.toEqual(PLAINTEXTS);
      expect(flaky.calls.kms.count("DecryptCommand")).toBe(3); // only DB_PASSWORD again
    } finally {
      flaky.destroy();
    }
  });

  // moto 5.2.1 still decrypts with a disabled key or a key pending deletion
  // (real KMS refuses), so these AWS errors are injected to test the mapping.
  test.each([
    ["DisabledException", /key is disabled: enable it/],
    ["KMSInvalidStateException", /pending deletion.*cancel-key-deletion/],
    ["NotFoundException", /does not exist/],
    ["IncorrectKeyException", /another KMS key/],
    ["ThrottlingException", /request rate/],
    ["CredentialsProviderError", /no AWS credentials/],
  ])("fails with a named error and a hint when KMS answers %s", async (name, hint) => {
    const failing = new KMSClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    failing.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error(`simulated ${name}`), { name });
      },
      { step: "initialize", name: "alwaysFail" },
    );
    setClients({ kms: failing });
    try {
      const error = await failure(getDecryptedVariable("WEBHOOK_SECRET"));
      expect(error).toMatchObject({ variable: "WEBHOOK_SECRET", awsErrorName: name });
      expect(error.message).toContain(`: ${name} (simulated ${name}). `);
      expect(error.hint).toMatch(hint);
      expectNoSecretsIn(error, PLAINTEXTS.WEBHOOK_SECRET, ciphertexts.WEBHOOK_SECRET);
    } finally {
      failing.destroy();
    }
  });
});
