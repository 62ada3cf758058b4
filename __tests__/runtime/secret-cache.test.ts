/**
 * getSecret / getParameter against moto's real Secrets Manager and SSM, with
 * values encrypted under a customer-managed KMS key created in moto.
 * Requests are counted by an SDK middleware on the clients the library uses.
 *
 * Time: only `Date` is faked (jest modern timers with everything else left
 * real), so the TTL windows are exact while the SDK's sockets and timers run
 * normally.
 */
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { MotoClients, MotoServer, motoClients, startMoto } from "../support/moto";
import { RuntimeSecretError, clearCaches, getParameter, getSecret, resetClients, setClients } from "../../runtime";

const DB_SECRET = { username: "orders", password: "pa55-w0rd-from-secrets-manager" };
const API_TOKEN = "ssm-securestring-token-0123456789";
const NOT_JSON = "plain-secret-not-json-xyz";

let moto: MotoServer;
let setup: MotoClients;
let lib: MotoClients;
let dbSecretArn: string;
const savedEnv = { ...process.env };
const T0 = new Date("2026-01-01T00:00:00Z").getTime();

/** Moves the (fake) clock to T0 + seconds. */
const at = (seconds: number) => jest.setSystemTime(T0 + seconds * 1000);
const smCalls = () => lib.calls.secretsManager.count("GetSecretValueCommand");
const ssmCalls = () => lib.calls.ssm.count("GetParameterCommand");

async function failure(promise: Promise<unknown>): Promise<RuntimeSecretError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeSecretError);
  return error as RuntimeSecretError;
}

beforeAll(async () => {
  moto = await startMoto();
  setup = motoClients(moto.endpoint);
  lib = motoClients(moto.endpoint);
  const key = (await setup.kms.send(new CreateKeyCommand({ Description: "orders workload key (test)" }))).KeyMetadata!;
  dbSecretArn = (await setup.secretsManager.send(new CreateSecretCommand({ Name: "orders/db", SecretString: JSON.stringify(DB_SECRET), KmsKeyId: key.Arn }))).ARN!;
  await setup.secretsManager.send(new CreateSecretCommand({ Name: "orders/binary", SecretBinary: Buffer.from("binary-secret-bytes"), KmsKeyId: key.Arn }));
  await setup.secretsManager.send(new CreateSecretCommand({ Name: "orders/not-json", SecretString: NOT_JSON, KmsKeyId: key.Arn }));
  await setup.ssm.send(new PutParameterCommand({ Name: "/orders/api-token", Value: API_TOKEN, Type: "SecureString", KeyId: key.Arn }));
  await setup.ssm.send(new PutParameterCommand({ Name: "/orders/settings", Value: JSON.stringify({ retries: 3 }), Type: "String" }));
});

afterAll(async () => {
  process.env = savedEnv;
  resetClients();
  setup?.destroy();
  lib?.destroy();
  await moto?.stop();
});

beforeEach(() => {
  jest.useFakeTimers({
    now: T0,
    doNotFake: ["hrtime", "nextTick", "performance", "queueMicrotask", "setImmediate", "clearImmediate", "setInterval", "clearInterval", "setTimeout", "clearTimeout"],
  });
  process.env = { ...savedEnv };
  delete process.env.LAMBDA_KMS_CACHE_TTL_SECONDS;
  clearCaches();
  setClients({ secretsManager: lib.secretsManager, ssm: lib.ssm });
  lib.calls.secretsManager.reset();
  lib.calls.ssm.reset();
});

afterEach(() => {
  jest.useRealTimers();
});

describe("Secrets Manager", () => {
  test("fetches a secret once per TTL window (default 300 s)", async () => {
    const windows: number[] = [];
    for (const second of [0, 1, 60, 299]) {
      at(second);
      await expect(getSecret(dbSecretArn)).resolves.toBe(JSON.stringify(DB_SECRET));
    }
    windows.push(smCalls());
    for (const second of [300, 450, 599]) {
      at(second);
      await getSecret(dbSecretArn);
    }
    windows.push(smCalls() - windows[0]);
    at(600);
    await getSecret(dbSecretArn);
    windows.push(smCalls() - windows[0] - windows[1]);
    // One GetSecretValue per 300-second window: [0, 300), [300, 600), [600, …).
    expect(windows).toEqual([1, 1, 1]);
  });

  test("forceFetch refetches even inside the window, and refreshes the cache", async () => {
    await getSecret(dbSecretArn);
    await setup.secretsManager.send(new PutSecretValueCommand({ SecretId: dbSecretArn, SecretString: JSON.stringify({ ...DB_SECRET, password: "rotated" }) }));
    await expect(getSecret(dbSecretArn, { parse: "json" })).resolves.toEqual(DB_SECRET); // still cached
    await expect(getSecret(dbSecretArn, { parse: "json", forceFetch: true })).resolves.toEqual({ ...DB_SECRET, password: "rotated" });
    await expect(getSecret(dbSecretArn, { parse: "json" })).resolves.toEqual({ ...DB_SECRET, password: "rotated" });
    expect(smCalls()).toBe(2);
    await setup.secretsManager.send(new PutSecretValueCommand({ SecretId: dbSecretArn, SecretString: JSON.stringify(DB_SECRET) }));
  });

  test("concurrent calls share one request", async () => {
    const values = await Promise.all(Array.from({ length: 10 }, () => getSecret(dbSecretArn)));
    expect(new Set(values)).toEqual(new Set([JSON.stringify(DB_SECRET)]));
    expect(smCalls()).toBe(1);
  });

  test("parse: json returns a fresh object each time, so callers cannot corrupt the cache", async () => {
    const first = await getSecret<typeof DB_SECRET>(dbSecretArn, { parse: "json" });
    expect(first).toEqual(DB_SECRET);
    first.password = "mutated";
    await expect(getSecret(dbSecretArn, { parse: "json" })).resolves.toEqual(DB_SECRET);
    expect(smCalls()).toBe(1); // the string and JSON forms share the cached value
  });

  test("SecretBinary is decoded", async () => {
    await expect(getSecret("orders/binary")).resolves.toBe("binary-secret-bytes");
  });

  test("fails when parse: json meets a value that is not JSON, without printing it", async () => {
    const error = await failure(getSecret("orders/not-json", { parse: "json" }));
    expect(error).toMatchObject({ secretId: "orders/not-json", code: "InvalidJson", awsErrorName: undefined });
    expect(error.message).toBe(
      `cannot parse secret "orders/not-json" as JSON: InvalidJson. the value (${NOT_JSON.length} chars) is not valid JSON; store a JSON document, or read it without parse: "json"`,
    );
    expect(error.cause).toBeUndefined(); // V8's SyntaxError message quotes the input
  });

  test("fails with the AWS error for a missing secret, and does not cache the failure", async () => {
    const error = await failure(getSecret("orders/does-not-exist"));
    expect(error).toMatchObject({ secretId: "orders/does-not-exist", awsErrorName: "ResourceNotFoundException", service: "secretsmanager", operation: "GetSecretValue" });
    expect(error.message).toMatch(/^cannot read secret "orders\/does-not-exist" \(secretsmanager GetSecretValue\): ResourceNotFoundException \(.+\)\. no such secret/);
    await failure(getSecret("orders/does-not-exist"));
    expect(smCalls()).toBe(2);
  });

  test("the call counter counts a call the SDK retried once, and the retry apart", async () => {
    const retried = motoClients(moto.endpoint);
    let throttlesLeft = 1;
    // Inside the retry loop, after the counter: the first attempt fails as throttled, which the SDK retries.
    retried.secretsManager.middlewareStack.add(
      (next) => async (args) => {
        if (throttlesLeft-- > 0) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
        return next(args);
      },
      { step: "deserialize", name: "throttleOnce", priority: "low" },
    );
    setClients({ secretsManager: retried.secretsManager });
    try {
      await expect(getSecret("orders/not-json")).resolves.toBe(NOT_JSON);
      expect(retried.calls.secretsManager.count("GetSecretValueCommand")).toBe(1);
      expect(retried.calls.secretsManager.retries).toBe(1);
    } finally {
      retried.destroy();
    }
  });

  test("maxAgeSeconds per call shortens or disables the window", async () => {
    await getSecret(dbSecretArn, { maxAgeSeconds: 10 });
    at(9);
    await getSecret(dbSecretArn, { maxAgeSeconds: 10 });
    at(10);
    await getSecret(dbSecretArn, { maxAgeSeconds: 10 });
    expect(smCalls()).toBe(2);
    await getSecret(dbSecretArn, { maxAgeSeconds: 0 });
    await getSecret(dbSecretArn, { maxAgeSeconds: 0 });
    expect(smCalls()).toBe(4);
    await expect(getSecret(dbSecretArn, { maxAgeSeconds: -1 })).rejects.toThrow(/maxAgeSeconds must be a number of seconds ≥ 0, got -1/);
  });
});

describe("SSM parameters", () => {
  test("a SecureString is decrypted and fetched once per TTL window", async () => {
    for (const second of [0, 100, 299]) {
      at(second);
      await expect(getParameter("/orders/api-token")).resolves.toBe(API_TOKEN);
    }
    expect(ssmCalls()).toBe(1);
    at(300);
    await getParameter("/orders/api-token");
    expect(ssmCalls()).toBe(2);
  });

  test("decrypt: false is a different value, cached separately", async () => {
    await getParameter("/orders/api-token");
    const raw = await getParameter("/orders/api-token", { decrypt: false });
    expect(raw).not.toBe(API_TOKEN); // moto returns "kms:<key ARN>:<value>" where AWS returns ciphertext
    await getParameter("/orders/api-token", { decrypt: false });
    expect(ssmCalls()).toBe(2);
    expect(lib.calls.ssm.counts).toEqual({ GetParameterCommand: 2 });
  });

  test("concurrent calls share one request; forceFetch refetches", async () => {
    await Promise.all(Array.from({ length: 5 }, () => getParameter("/orders/api-token")));
    expect(ssmCalls()).toBe(1);
    await getParameter("/orders/api-token", { forceFetch: true });
    expect(ssmCalls()).toBe(2);
  });

  test("parse: json", async () => {
    await expect(getParameter<{ retries: number }>("/orders/settings", { parse: "json" })).resolves.toEqual({ retries: 3 });
  });

  test("fails with the AWS error for a missing parameter", async () => {
    const error = await failure(getParameter("/orders/nope"));
    expect(error).toMatchObject({ secretId: "/orders/nope", awsErrorName: "ParameterNotFound", service: "ssm", operation: "GetParameter" });
    expect(error.hint).toMatch(/no such parameter/);
  });
});

describe("LAMBDA_KMS_CACHE_TTL_SECONDS", () => {
  test("overrides the default TTL", async () => {
    process.env.LAMBDA_KMS_CACHE_TTL_SECONDS = "60";
    await getSecret(dbSecretArn);
    await getParameter("/orders/api-token");
    at(59);
    await getSecret(dbSecretArn);
    await getParameter("/orders/api-token");
    expect([smCalls(), ssmCalls()]).toEqual([1, 1]);
    at(60);
    await getSecret(dbSecretArn);
    await getParameter("/orders/api-token");
    expect([smCalls(), ssmCalls()]).toEqual([2, 2]);
  });

  test("0 fetches on every call", async () => {
    process.env.LAMBDA_KMS_CACHE_TTL_SECONDS = "0";
    await getSecret(dbSecretArn);
    await getSecret(dbSecretArn);
    expect(smCalls()).toBe(2);
  });

  test("an explicit maxAgeSeconds wins over it", async () => {
    process.env.LAMBDA_KMS_CACHE_TTL_SECONDS = "0";
    await getSecret(dbSecretArn, { maxAgeSeconds: 300 });
    await getSecret(dbSecretArn, { maxAgeSeconds: 300 });
    expect(smCalls()).toBe(1);
  });

  test("fails with a clear error when it is not a number", async () => {
    process.env.LAMBDA_KMS_CACHE_TTL_SECONDS = "5m";
    await expect(getSecret(dbSecretArn)).rejects.toThrow('LAMBDA_KMS_CACHE_TTL_SECONDS must be a number of seconds ≥ 0, got "5m"; unset it for the default of 300');
    expect(smCalls()).toBe(0);
  });
});

test("clearCaches empties the cache (a new execution environment)", async () => {
  await getSecret(dbSecretArn);
  clearCaches();
  await getSecret(dbSecretArn);
  expect(smCalls()).toBe(2);
});
