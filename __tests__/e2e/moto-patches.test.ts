/**
 * Proves each patch of e2e/moto/patched_moto_server.py: for every gap, plain
 * `moto_server` shows it ("plain moto_server has the gap") and the patched
 * server fixes it ("the patched server fixes it"), through the same AWS SDK
 * calls the Terraform provider makes.
 *
 * When a "gap" test fails after upgrading moto, the gap is fixed upstream:
 * remove that patch from e2e/moto/patched_moto_server.py (and this describe),
 * and update EXPECTED_MOTO there.
 *
 * Both servers start once for the file; each describe uses its own resource
 * names, so the tests do not depend on each other's state.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CloudTrailClient,
  CreateTrailCommand,
  DeleteTrailCommand,
  DescribeTrailsCommand,
  GetTrailStatusCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from "@aws-sdk/client-cloudtrail";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { AssociateKmsKeyCommand, CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand, DisassociateKmsKeyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeysCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
} from "@aws-sdk/client-kms";
import {
  CreateCodeSigningConfigCommand,
  CreateFunctionCommand,
  CreateFunctionCommandInput,
  DeleteCodeSigningConfigCommand,
  GetCodeSigningConfigCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListTagsCommand,
  TagResourceCommand,
  UpdateCodeSigningConfigCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import {
  CreateBucketCommand,
  GetBucketLoggingCommand,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  PutBucketLoggingCommand,
  PutBucketNotificationConfigurationCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutBucketReplicationCommand,
  GetBucketReplicationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { DescribeSigningJobCommand, PutSigningProfileCommand, SignerClient, StartSigningJobCommand } from "@aws-sdk/client-signer";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "crypto";
import { createDeterministicZip } from "../../modules/deterministic-zip";
import { PATCHED_MOTO_SERVER } from "../../e2e/moto-emulator";
import { MOTO_CREDENTIALS, MotoServer, startMoto } from "../support/moto";

const REGION = "eu-west-1";
/** moto's single default account, which serves every request it cannot attribute to another. */
const MOTO_DEFAULT_ACCOUNT = "123456789012";
const STAGING = "111111111111";
const PRODUCTION = "222222222222";

let plain: MotoServer;
let patched: MotoServer;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  [plain, patched] = await Promise.all([startMoto(), startMoto({ patched: true })]);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([plain?.stop(), patched?.stop()]);
});

interface ClientOptions {
  /** @default MOTO_CREDENTIALS.accessKeyId ("test": not 12 digits, so moto's default account) */
  readonly accessKeyId?: string;
}

/**
 * An SDK client config for `server`. One attempt only: a gap that moto
 * answers with HTTP 500 should fail at once, not after the SDK's retries.
 */
function config(server: MotoServer, { accessKeyId = MOTO_CREDENTIALS.accessKeyId }: ClientOptions = {}) {
  return { endpoint: server.endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey: "any-secret" }, maxAttempts: 1 };
}

function track<T extends { destroy(): void }>(client: T): T {
  clients.push(client);
  return client;
}

const kms = (server: MotoServer, options?: ClientOptions) => track(new KMSClient(config(server, options)));

async function createKey(client: KMSClient): Promise<{ keyId: string; arn: string; account: string | undefined }> {
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: "moto-patches test key" }));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn!, account: KeyMetadata!.AWSAccountId };
}

describe("account from a 12-digit access key ID", () => {
  test("plain moto_server has the gap", async () => {
    const key = await createKey(kms(plain, { accessKeyId: STAGING }));
    expect(key.account).toBe(MOTO_DEFAULT_ACCOUNT);
    expect(key.arn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/`));
    // Both "accounts" are one: the other access key sees the key.
    const { KeyMetadata } = await kms(plain, { accessKeyId: PRODUCTION }).send(new DescribeKeyCommand({ KeyId: key.keyId }));
    expect(KeyMetadata?.Arn).toBe(key.arn);
  });

  test("the patched server fixes it", async () => {
    const staging = kms(patched, { accessKeyId: STAGING });
    const production = kms(patched, { accessKeyId: PRODUCTION });
    const stagingKey = await createKey(staging);
    const productionKey = await createKey(production);
    expect(stagingKey.account).toBe(STAGING);
    expect(stagingKey.arn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${STAGING}:key/`));
    expect(productionKey.account).toBe(PRODUCTION);
    expect(productionKey.arn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${PRODUCTION}:key/`));

    // Separate accounts: each lists only its own key, and cannot describe the other's.
    const listed = async (client: KMSClient) => ((await client.send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId);
    expect(await listed(staging)).toContain(stagingKey.keyId);
    expect(await listed(staging)).not.toContain(productionKey.keyId);
    expect(await listed(production)).toContain(productionKey.keyId);
    expect(await listed(production)).not.toContain(stagingKey.keyId);
    await expect(production.send(new DescribeKeyCommand({ KeyId: stagingKey.keyId }))).rejects.toMatchObject({ name: "NotFoundException" });
    await expect(staging.send(new DescribeKeyCommand({ KeyId: productionKey.keyId }))).rejects.toMatchObject({ name: "NotFoundException" });
  });

  test("the patched server still serves a 20-character access key ID from moto's default account", async () => {
    const key = await createKey(kms(patched, { accessKeyId: "AKIAIOSFODNN7EXAMPLE" }));
    expect(key.account).toBe(MOTO_DEFAULT_ACCOUNT);
  });
});

describe("CloudTrail StartLogging/StopLogging/DeleteTrail by trail ARN", () => {
  /** A bucket and a trail writing to it; returns the trail's name and ARN. */
  async function createTrail(server: MotoServer, name: string): Promise<{ cloudtrail: CloudTrailClient; name: string; arn: string }> {
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    const bucket = `${name}-logs`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const cloudtrail = track(new CloudTrailClient(config(server)));
    const { TrailARN } = await cloudtrail.send(new CreateTrailCommand({ Name: name, S3BucketName: bucket }));
    expect(TrailARN).toBe(`arn:aws:cloudtrail:${REGION}:${MOTO_DEFAULT_ACCOUNT}:trail/${name}`);
    return { cloudtrail, name, arn: TrailARN! };
  }

  test("plain moto_server has the gap", async () => {
    const trail = await createTrail(plain, "gap-trail");
    await expect(trail.cloudtrail.send(new StartLoggingCommand({ Name: trail.arn }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    const status = await trail.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.name }));
    expect(status.IsLogging).toBe(false);
  });

  test("the patched server fixes it", async () => {
    const trail = await createTrail(patched, "fixed-trail");
    await trail.cloudtrail.send(new StartLoggingCommand({ Name: trail.arn }));
    expect((await trail.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.arn }))).IsLogging).toBe(true);
    await trail.cloudtrail.send(new StopLoggingCommand({ Name: trail.arn }));
    expect((await trail.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.arn }))).IsLogging).toBe(false);
  });

  test("plain moto_server answers DeleteTrail by ARN but keeps the trail", async () => {
    const trail = await createTrail(plain, "kept-trail");
    await trail.cloudtrail.send(new DeleteTrailCommand({ Name: trail.arn }));
    const left = await trail.cloudtrail.send(new DescribeTrailsCommand({ trailNameList: [trail.name] }));
    expect(left.trailList?.map((t) => t.Name)).toContain(trail.name);
  });

  test("the patched server deletes a trail by ARN and by name", async () => {
    const byArn = await createTrail(patched, "deleted-by-arn");
    const byName = await createTrail(patched, "deleted-by-name");
    await byArn.cloudtrail.send(new DeleteTrailCommand({ Name: byArn.arn }));
    await byName.cloudtrail.send(new DeleteTrailCommand({ Name: byName.name }));
    const names = (await byArn.cloudtrail.send(new DescribeTrailsCommand({}))).trailList?.map((t) => t.Name);
    expect(names).not.toContain("deleted-by-arn");
    expect(names).not.toContain("deleted-by-name");
  });

  test("the patched server still starts and stops logging by trail name", async () => {
    const trail = await createTrail(patched, "named-trail");
    await trail.cloudtrail.send(new StartLoggingCommand({ Name: trail.name }));
    expect((await trail.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.name }))).IsLogging).toBe(true);
    await trail.cloudtrail.send(new StopLoggingCommand({ Name: trail.name }));
    expect((await trail.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.name }))).IsLogging).toBe(false);
  });
});

describe("KMS key rotation period", () => {
  test("plain moto_server has the gap", async () => {
    const client = kms(plain);
    const { keyId } = await createKey(client);
    await client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 180 }));
    const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.RotationPeriodInDays).toBeUndefined();
  });

  test("the patched server fixes it", async () => {
    const client = kms(patched);
    const { keyId, arn } = await createKey(client);
    const status = () => client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));

    await client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 180 }));
    expect(await status()).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    // The key ARN names the same key.
    expect((await client.send(new GetKeyRotationStatusCommand({ KeyId: arn }))).RotationPeriodInDays).toBe(180);

    // Without a period, AWS's default of 365 days.
    await client.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    expect(await status()).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });

    await client.send(new DisableKeyRotationCommand({ KeyId: keyId }));
    const disabled = await status();
    expect(disabled.KeyRotationEnabled).toBe(false);
    expect(disabled.RotationPeriodInDays).toBeUndefined();
  });
});

/**
 * Creates a function on `server` with a role of its own and a one-file
 * package, plus `extra` (KMSKeyArn, DeadLetterConfig, ...); returns its client
 * and readers of its configuration through GetFunctionConfiguration and
 * through GetFunction (what the provider reads).
 */
async function createLambdaFunction(server: MotoServer, name: string, extra: Partial<CreateFunctionCommandInput>) {
  const codeDir = fs.mkdtempSync(path.join(os.tmpdir(), "moto-patches-test-"));
  try {
    fs.writeFileSync(path.join(codeDir, "index.js"), "exports.handler = async () => 'ok';\n");
    const { Role } = await track(new IAMClient(config(server))).send(
      new CreateRoleCommand({
        RoleName: `${name}-role`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    const lambda = track(new LambdaClient(config(server)));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: Role!.Arn!,
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Code: { ZipFile: createDeterministicZip(codeDir) },
        ...extra,
      }),
    );
    return {
      lambda,
      configuration: () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })),
      fromGetFunction: async () => (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!,
    };
  } finally {
    fs.rmSync(codeDir, { recursive: true, force: true });
  }
}

describe("Lambda KMSKeyArn", () => {
  /** A function whose environment is encrypted with a new key. */
  async function createFunction(server: MotoServer, name: string) {
    const { arn: keyArn } = await createKey(kms(server));
    return { keyArn, ...(await createLambdaFunction(server, name, { Environment: { Variables: { A: "b" } }, KMSKeyArn: keyArn })) };
  }

  test("plain moto_server has the gap", async () => {
    const fn = await createFunction(plain, "gap-function");
    const configuration = await fn.configuration();
    expect(configuration.Environment).toEqual({ Variables: { A: "b" } });
    expect(configuration.KMSKeyArn).toBeUndefined();
  });

  test("the patched server fixes it", async () => {
    const fn = await createFunction(patched, "fixed-function");
    const configuration = await fn.configuration();
    expect(configuration.Environment).toEqual({ Variables: { A: "b" } });
    expect(configuration.KMSKeyArn).toBe(fn.keyArn);
    // GetFunction is what the Terraform provider reads.
    expect((await fn.lambda.send(new GetFunctionCommand({ FunctionName: "fixed-function" }))).Configuration?.KMSKeyArn).toBe(fn.keyArn);

    // An empty string removes the key (the function falls back to the AWS managed key) ...
    const removed = await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "fixed-function", KMSKeyArn: "" }));
    expect(removed.KMSKeyArn).toBeUndefined();
    expect((await fn.configuration()).KMSKeyArn).toBeUndefined();

    // ... and the ARN sets it again.
    const restored = await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "fixed-function", KMSKeyArn: fn.keyArn }));
    expect(restored.KMSKeyArn).toBe(fn.keyArn);
    expect((await fn.configuration()).KMSKeyArn).toBe(fn.keyArn);

    // An update that does not name KMSKeyArn keeps it.
    await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "fixed-function", Timeout: 10 }));
    expect(await fn.configuration()).toMatchObject({ KMSKeyArn: fn.keyArn, Timeout: 10 });
  });
});

describe("Lambda DeadLetterConfig", () => {
  /** A function created with a dead-letter queue. */
  async function createFunction(server: MotoServer, name: string) {
    const queueArn = `arn:aws:sqs:eu-west-1:111111111111:${name}-dlq`;
    return { queueArn, ...(await createLambdaFunction(server, name, { DeadLetterConfig: { TargetArn: queueArn } })) };
  }

  test("plain moto_server has the gap", async () => {
    const fn = await createFunction(plain, "dlq-gap-function");
    expect((await fn.fromGetFunction()).DeadLetterConfig).toBeUndefined();
  });

  test("the patched server fixes it: kept from create, changed and removed by update, kept by other updates", async () => {
    const fn = await createFunction(patched, "dlq-fixed-function");
    expect((await fn.fromGetFunction()).DeadLetterConfig).toEqual({ TargetArn: fn.queueArn });
    await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "dlq-fixed-function", Timeout: 10 }));
    expect(await fn.fromGetFunction()).toMatchObject({ DeadLetterConfig: { TargetArn: fn.queueArn }, Timeout: 10 });
    const other = `${fn.queueArn}-2`;
    const changed = await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "dlq-fixed-function", DeadLetterConfig: { TargetArn: other } }));
    expect(changed.DeadLetterConfig).toEqual({ TargetArn: other });
    await fn.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "dlq-fixed-function", DeadLetterConfig: { TargetArn: "" } }));
    expect((await fn.fromGetFunction()).DeadLetterConfig).toBeUndefined();
  });
});

/** SHA-256 and HMAC-SHA-256 in the shape SignatureV4 expects. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

describe("IAM enforcement of identity policies", () => {
  const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${STAGING}:function:enforced-function`;
  /** A least-privilege policy as the deployer policy writes them: named resources, and a condition. */
  const POLICY = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["lambda:GetFunction"], Resource: [FUNCTION_ARN] },
      { Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"], Resource: [`arn:aws:cloudwatch:${REGION}:${STAGING}:alarm:enforced`] },
      // For the body-less GET below: no resource, so that plain moto's resource matching is not what refuses it.
      { Effect: "Allow", Action: ["lambda:ListFunctions"], Resource: "*" },
      // A call that names its resource by ARN in the path.
      { Effect: "Allow", Action: ["lambda:ListTags"], Resource: [FUNCTION_ARN] },
      // HeadBucket is authorized as s3:ListBucket, ListObjectVersions as s3:ListBucketVersions.
      { Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions"], Resource: ["arn:aws:s3:::enforced-bucket"] },
      // A condition moto has no value for: the tags of the key the call names.
      {
        Effect: "Allow",
        Action: ["kms:DescribeKey"],
        Resource: [`arn:aws:kms:${REGION}:${STAGING}:key/*`],
        Condition: { StringEquals: { "aws:ResourceTag/Project": "payments" } },
      },
    ],
  };

  /**
   * Creates a user with POLICY in account STAGING, turns enforcement on, runs
   * `calls` with the user's key, and turns enforcement off again (the other
   * tests of the file use keys the emulator did not issue).
   */
  async function enforced<T>(server: MotoServer, calls: (options: { credentials: { accessKeyId: string; secretAccessKey: string } }) => Promise<T>): Promise<T> {
    const iam = track(new IAMClient(config(server, { accessKeyId: STAGING })));
    const userName = `enforced-${Math.random().toString(36).slice(2, 8)}`;
    await iam.send(new CreateUserCommand({ UserName: userName }));
    await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: "least-privilege", PolicyDocument: JSON.stringify(POLICY) }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const reset = (count: string) => fetch(`${server.endpoint}/moto-api/reset-auth`, { method: "POST", body: count });
    await reset("0");
    try {
      return await calls({ credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! } });
    } finally {
      await reset("Infinity");
    }
  }

  /** The error name and HTTP status of a refused call (403), or "allowed" when the emulator let it through (a "not found" is past the check). */
  async function outcome(send: () => Promise<unknown>): Promise<string> {
    try {
      await send();
      return "allowed";
    } catch (error) {
      const e = error as { name: string; $metadata?: { httpStatusCode?: number }; message: string };
      if (e.$metadata?.httpStatusCode !== 403) return "allowed";
      return `${e.name} ${e.$metadata?.httpStatusCode}${e.message.includes("not authorized to perform") ? `: ${e.message.split("perform: ")[1]}` : ""}`;
    }
  }

  const calls = (server: MotoServer) =>
    enforced(server, async ({ credentials }) => {
      const options = { ...config(server), credentials };
      const lambda = track(new LambdaClient(options));
      const cloudwatch = track(new CloudWatchClient(options));
      const kmsClient = track(new KMSClient(options));
      const s3 = track(new S3Client({ ...options, forcePathStyle: true }));
      return {
        headBucket: await outcome(() => s3.send(new HeadBucketCommand({ Bucket: "enforced-bucket" }))),
        namedFunction: await outcome(() => lambda.send(new GetFunctionCommand({ FunctionName: "enforced-function" }))),
        alarms: await outcome(() => cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ["enforced"] }))),
        taggedKey: await outcome(() => kmsClient.send(new DescribeKeyCommand({ KeyId: "alias/enforced-no-such-key" }))),
        notGranted: await outcome(() => kmsClient.send(new ListKeysCommand({}))),
        bodylessGet: await signedGet(server, "/2015-03-31/functions/", credentials),
        // The SDK sends the ARN percent-encoded; the function does not exist, so "allowed" means past the check.
        arnInPath: await outcome(() => lambda.send(new ListTagsCommand({ Resource: FUNCTION_ARN }))),
        // The SDK sends the "/" of the prefix as %2F; the bucket does not exist, so "allowed" means past the check.
        slashInQuery: await outcome(() => s3.send(new ListObjectVersionsCommand({ Bucket: "enforced-bucket", Prefix: "unsigned/fn.zip" }))),
      };
    });

  /**
   * A GET without body or query string, signed over the empty payload as
   * every AWS SDK signs it (the AWS provider's Lambda GetFunction is one):
   * the status, and the error code when refused.
   */
  async function signedGet(server: MotoServer, pathname: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
    const url = new URL(server.endpoint);
    // Without x-amz-content-sha256, as the AWS SDK for Go sends it: the signer hashes the (empty) body.
    const signer = new SignatureV4({ credentials, region: REGION, service: "lambda", sha256: NodeSha256, applyChecksum: false });
    const request = await signer.sign({ method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: pathname, headers: { host: url.host } });
    const response = await fetch(`${server.endpoint}${pathname}`, { headers: request.headers });
    const body = await response.text();
    return response.status === 200 ? "allowed" : `${response.status} ${/SignatureDoesNotMatch|AccessDenied\w*/.exec(body)?.[0] ?? body.slice(0, 80)}`;
  }

  test("plain moto_server has the gap: statements with resources or conditions allow nothing, and CloudWatch is checked as monitoring:*", async () => {
    const found = await calls(plain);
    expect(found.namedFunction).toMatch(/ 403$/);
    expect(found.headBucket).toMatch(/ 403$/);
    expect(found.alarms).toMatch(/ 403$/);
    expect(found.taggedKey).toMatch(/ 403$/);
    // And the refusal of a JSON service is XML, so the SDK cannot name it.
    expect(found.notGranted).not.toMatch(/^AccessDeniedException/);
    // A body-less GET is signed over the request headers, and an ARN in the path over its decoded form.
    expect(found.bodylessGet).toBe("403 SignatureDoesNotMatch");
    expect(found.arnInPath).toMatch(/ 403$/);
    expect(found.slashInQuery).toMatch(/ 403$/);
  });

  test("the patched server fixes it: each call is checked by its action, and a refusal names it", async () => {
    expect(await calls(patched)).toEqual({
      headBucket: "allowed",
      namedFunction: "allowed",
      alarms: "allowed",
      taggedKey: "allowed",
      notGranted: "AccessDeniedException 403: kms:ListKeys",
      bodylessGet: "allowed",
      arnInPath: "allowed",
      slashInQuery: "allowed",
    });
    expect(patched.output()).toMatch(/iam-enforcement: denied arn:aws:iam::111111111111:user\/enforced-\w+ kms:ListKeys/);
    expect(patched.output()).toMatch(/iam-enforcement: allowed arn:aws:iam::111111111111:user\/enforced-\w+ cloudwatch:DescribeAlarms/);
  });
});

describe("S3 event notifications to EventBridge", () => {
  /** A bucket that sends its events to EventBridge, and one without notifications; returns what GetBucketNotificationConfiguration says of each. */
  async function notifications(server: MotoServer, prefix: string) {
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    const [sending, silent] = [`${prefix}-sending-events`, `${prefix}-silent`];
    for (const bucket of [sending, silent]) await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: sending, NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    const read = async (bucket: string) => (await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).EventBridgeConfiguration;
    return { sending: await read(sending), silent: await read(silent) };
  }

  test("plain moto_server has the gap", async () => {
    expect(await notifications(plain, "plain")).toEqual({ sending: undefined, silent: undefined });
  });

  test("the patched server fixes it: the configuration comes back for the bucket that has it, and only for it", async () => {
    expect(await notifications(patched, "patched")).toEqual({ sending: {}, silent: undefined });
  });
});

describe("S3 replication rules with SSE-KMS objects and delete markers", () => {
  /** A versioned source and destination, and the rule LogBucketReplication writes; returns the rule GetBucketReplication answers. */
  async function replicationRule(server: MotoServer, prefix: string) {
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    const [source, destination] = [`${prefix}-replicated`, `${prefix}-replicated-replica`];
    for (const bucket of [source, destination]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    }
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: source,
        ReplicationConfiguration: {
          Role: `arn:aws:iam::${MOTO_DEFAULT_ACCOUNT}:role/replication`,
          Rules: [
            {
              ID: "replicate-audit-logs",
              Status: "Enabled",
              Filter: {},
              DeleteMarkerReplication: { Status: "Enabled" },
              SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } },
              Destination: { Bucket: `arn:aws:s3:::${destination}`, EncryptionConfiguration: { ReplicaKmsKeyID: `arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/replica` } },
            },
          ],
        },
      }),
    );
    const rule = (await s3.send(new GetBucketReplicationCommand({ Bucket: source }))).ReplicationConfiguration?.Rules?.[0];
    return {
      deleteMarkers: rule?.DeleteMarkerReplication?.Status,
      sseKms: rule?.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status,
      key: rule?.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID,
    };
  }

  test("plain moto_server has the gap", async () => {
    expect(await replicationRule(plain, "plain")).toEqual({ deleteMarkers: "Disabled", sseKms: undefined, key: `arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/replica` });
  });

  test("the patched server fixes it: the rule comes back as it was stored", async () => {
    expect(await replicationRule(patched, "patched")).toEqual({ deleteMarkers: "Enabled", sseKms: "Enabled", key: `arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/replica` });
  });
});

describe("S3 access logging into a bucket whose policy lists the logging service", () => {
  /** A source and a target bucket; the target's policy is AccessLogBucket's, with lists. */
  async function buckets(server: MotoServer, prefix: string) {
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    const [source, target] = [`${prefix}-logs`, `${prefix}-logs-access`];
    for (const bucket of [source, target]) await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "S3ServerAccessLogsPolicy",
          Effect: "Allow",
          Principal: { Service: ["logging.s3.amazonaws.com"] },
          Action: ["s3:PutObject"],
          Resource: [`arn:aws:s3:::${target}/${source}/*`],
          Condition: { ArnLike: { "aws:SourceArn": [`arn:aws:s3:::${source}`] }, StringEquals: { "aws:SourceAccount": MOTO_DEFAULT_ACCOUNT } },
        },
      ],
    };
    await s3.send(new PutBucketPolicyCommand({ Bucket: target, Policy: JSON.stringify(policy) }));
    const enable = () => s3.send(new PutBucketLoggingCommand({ Bucket: source, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: target, TargetPrefix: `${source}/` } } }));
    return { s3, source, target, enable };
  }

  test("plain moto_server has the gap", async () => {
    const { enable } = await buckets(plain, "plain");
    await expect(enable()).rejects.toMatchObject({ name: "InvalidTargetBucketForLogging" });
  });

  test("the patched server fixes it", async () => {
    const { s3, source, target, enable } = await buckets(patched, "patched");
    await enable();
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: source }))).LoggingEnabled).toEqual({ TargetBucket: target, TargetPrefix: `${source}/` });
  });
});

describe("CloudWatch Logs AssociateKmsKey", () => {
  const logs = (server: MotoServer) => track(new CloudWatchLogsClient(config(server)));
  const KEY = `arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/00000000-0000-0000-0000-000000000001`;
  const NEW_KEY = `arn:aws:kms:${REGION}:${MOTO_DEFAULT_ACCOUNT}:key/00000000-0000-0000-0000-000000000002`;
  const keyOf = async (client: CloudWatchLogsClient, name: string) =>
    (await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name)?.kmsKeyId;

  test("plain moto_server has the gap", async () => {
    const client = logs(plain);
    await client.send(new CreateLogGroupCommand({ logGroupName: "/gap/rotated", kmsKeyId: KEY }));
    await expect(client.send(new AssociateKmsKeyCommand({ logGroupName: "/gap/rotated", kmsKeyId: NEW_KEY }))).rejects.toThrow();
    expect(await keyOf(client, "/gap/rotated")).toBe(KEY);
  });

  test("the patched server fixes it", async () => {
    const client = logs(patched);
    await client.send(new CreateLogGroupCommand({ logGroupName: "/fixed/rotated", kmsKeyId: KEY }));
    await client.send(new AssociateKmsKeyCommand({ logGroupName: "/fixed/rotated", kmsKeyId: NEW_KEY }));
    expect(await keyOf(client, "/fixed/rotated")).toBe(NEW_KEY);
    await client.send(new DisassociateKmsKeyCommand({ logGroupName: "/fixed/rotated" }));
    expect(await keyOf(client, "/fixed/rotated")).toBeUndefined();
    await expect(client.send(new AssociateKmsKeyCommand({ logGroupName: "/fixed/missing", kmsKeyId: NEW_KEY }))).rejects.toThrow(
      expect.objectContaining({ name: "ResourceNotFoundException" }),
    );
  });
});

describe("KMS ReplicateKey", () => {
  const REPLICA_REGION = "us-east-1";
  const POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "ReplicaOwn", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MOTO_DEFAULT_ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
  });
  const replicate = async (server: MotoServer, alias: string) => {
    const primaryClient = kms(server);
    const replicaClient = track(new KMSClient({ ...config(server), region: REPLICA_REGION }));
    const { KeyMetadata } = await primaryClient.send(new CreateKeyCommand({ MultiRegion: true, Description: "primary" }));
    const keyId = KeyMetadata!.KeyId!;
    await primaryClient.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await primaryClient.send(
      new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA_REGION, Policy: POLICY, Description: "replica", Tags: [{ TagKey: "Region", TagValue: "replica" }] }),
    );
    // The replica's own alias of the same name, as a stack in the replica's region creates it.
    const ownAliasError = await replicaClient.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })).then(
      () => undefined,
      (error: Error) => error.name,
    );
    const replica = (await replicaClient.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    const primary = (await primaryClient.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    return {
      ownAliasError,
      replicaDescription: replica.Description,
      primaryType: primary.MultiRegionConfiguration?.MultiRegionKeyType,
      replicaPolicy: (await replicaClient.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" }))).Policy,
      replicaTags: (await replicaClient.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags,
    };
  };

  test("plain moto_server has the gap", async () => {
    const result = await replicate(plain, "alias/gap-replicated");
    expect(result.ownAliasError).toBe("AlreadyExistsException");
    expect(result.replicaDescription).toBe("primary");
    expect(result.primaryType).toBe("REPLICA");
    expect(result.replicaPolicy).not.toBe(POLICY);
    expect(result.replicaTags).toEqual([]);
  });

  test("the patched server fixes it", async () => {
    const result = await replicate(patched, "alias/fixed-replicated");
    expect(result.ownAliasError).toBeUndefined();
    expect(result.replicaDescription).toBe("replica");
    expect(result.primaryType).toBe("PRIMARY");
    expect(result.replicaPolicy).toBe(POLICY);
    expect(result.replicaTags).toEqual([{ TagKey: "Region", TagValue: "replica" }]);
  });
});

describe("KMS multi-Region key IDs", () => {
  const CONTEXT = { LambdaFunctionName: "orders-api" };
  const roundTrip = async (server: MotoServer) => {
    const primaryClient = kms(server);
    const replicaClient = track(new KMSClient({ ...config(server), region: "us-east-1" }));
    const { KeyMetadata } = await primaryClient.send(new CreateKeyCommand({ MultiRegion: true }));
    await primaryClient.send(new ReplicateKeyCommand({ KeyId: KeyMetadata!.KeyId!, ReplicaRegion: "us-east-1" }));
    const { CiphertextBlob } = await primaryClient.send(new EncryptCommand({ KeyId: KeyMetadata!.Arn!, Plaintext: Buffer.from("value"), EncryptionContext: CONTEXT }));
    const decryptIn = async (client: KMSClient) => Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: CONTEXT }))).Plaintext!).toString();
    // Functions, not promises: a rejected promise nobody awaits yet fails the test run as an unhandled rejection.
    return { keyId: KeyMetadata!.KeyId!, inPrimaryRegion: () => decryptIn(primaryClient), inReplicaRegion: () => decryptIn(replicaClient) };
  };

  test("plain moto_server has the gap", async () => {
    const { keyId, inPrimaryRegion, inReplicaRegion } = await roundTrip(plain);
    expect(keyId).toMatch(/^mrk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await expect(inPrimaryRegion()).rejects.toThrow(expect.objectContaining({ name: "AccessDeniedException" }));
    await expect(inReplicaRegion()).rejects.toThrow(expect.objectContaining({ name: "AccessDeniedException" }));
  });

  test("the patched server fixes it: AWS's format, and one ciphertext decrypts in the primary's region and the replica's", async () => {
    const { keyId, inPrimaryRegion, inReplicaRegion } = await roundTrip(patched);
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(await inPrimaryRegion()).toBe("value");
    expect(await inReplicaRegion()).toBe("value");
    // Single-Region keys keep their UUIDs.
    expect((await createKey(kms(patched))).keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe("Lambda code signing configurations", () => {
  const publisher = "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/moto_patches/abcdef0123";
  const create = (server: MotoServer) =>
    track(new LambdaClient(config(server))).send(
      new CreateCodeSigningConfigCommand({
        Description: "moto-patches test",
        AllowedPublishers: { SigningProfileVersionArns: [publisher] },
        CodeSigningPolicies: { UntrustedArtifactOnDeployment: "Enforce" },
        Tags: { Purpose: "test" },
      }),
    );

  test("plain moto_server has the gap", async () => {
    await expect(create(plain)).rejects.toThrow();
  });

  test("the patched server fixes it: created, read, tagged, updated and deleted by ARN", async () => {
    const lambda = track(new LambdaClient(config(patched)));
    const { CodeSigningConfig: created } = await create(patched);
    const arn = created!.CodeSigningConfigArn!;
    expect(arn).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-[0-9a-f]{17}$/);
    expect(created).toMatchObject({ AllowedPublishers: { SigningProfileVersionArns: [publisher] }, CodeSigningPolicies: { UntrustedArtifactOnDeployment: "Enforce" } });
    expect((await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig).toEqual(created);
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { Owner: "platform" } }));
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ Purpose: "test", Owner: "platform" });
    await lambda.send(new UpdateCodeSigningConfigCommand({ CodeSigningConfigArn: arn, CodeSigningPolicies: { UntrustedArtifactOnDeployment: "Warn" } }));
    expect((await lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).CodeSigningConfig!.CodeSigningPolicies).toEqual({
      UntrustedArtifactOnDeployment: "Warn",
    });
    await lambda.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: arn }));
    await expect(lambda.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: arn }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});

describe("S3 object requests to a bucket with a TLS-only policy", () => {
  /** A bucket whose policy denies requests without TLS (and, with `denyPut`, every PutObject); the outcome of a PutObject and a GetObject. */
  async function objectRequests(server: MotoServer, bucket: string, denyPut = false) {
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const objects = `arn:aws:s3:::${bucket}/*`;
    const statements: unknown[] = [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: ["*"] },
        Action: ["s3:*"],
        Resource: [`arn:aws:s3:::${bucket}`, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ];
    if (denyPut) statements.push({ Sid: "DenyEveryPut", Effect: "Deny", Principal: { AWS: ["*"] }, Action: ["s3:PutObject"], Resource: [objects] });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }));
    const attempt = async (send: () => Promise<unknown>) => {
      try {
        await send();
        return "allowed";
      } catch (error) {
        return `refused ${(error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode}`;
      }
    };
    return {
      put: await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: "unsigned/fn.zip", Body: "package" }))),
      get: await attempt(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: "unsigned/fn.zip" }))),
    };
  }

  test("plain moto_server has the gap", async () => {
    expect(await objectRequests(plain, "plain-tls-only")).toEqual({ put: "refused 403", get: "refused 403" });
  });

  test("the patched server fixes it: the TLS-only statement lets HTTPS-equivalent requests through, and a Deny without condition still refuses", async () => {
    expect(await objectRequests(patched, "patched-tls-only")).toEqual({ put: "allowed", get: "allowed" });
    expect((await objectRequests(patched, "patched-deny-put", true)).put).toBe("refused 403");
  });
});

describe("Signer signing jobs", () => {
  /** A profile, a versioned bucket with a package, and a signing job of that package's version. */
  async function sign(server: MotoServer, prefix: string) {
    const signer = track(new SignerClient(config(server)));
    const s3 = track(new S3Client({ ...config(server), forcePathStyle: true }));
    const bucket = `${prefix}-code`;
    await signer.send(new PutSigningProfileCommand({ profileName: `${prefix}_profile`, platformId: "AWSLambda-SHA384-ECDSA" }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const { VersionId } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "unsigned/fn.zip", Body: "package bytes" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "unsigned/fn.zip", Body: "a later package" }));
    const { jobId } = await signer.send(
      new StartSigningJobCommand({
        profileName: `${prefix}_profile`,
        source: { s3: { bucketName: bucket, key: "unsigned/fn.zip", version: VersionId } },
        destination: { s3: { bucketName: bucket, prefix: "signed/fn/" } },
      }),
    );
    const job = await signer.send(new DescribeSigningJobCommand({ jobId }));
    const signedKey = job.signedObject?.s3?.key ?? "";
    const signed = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: signedKey }))).Body!.transformToString();
    return { jobId, job, bucket, signedKey, signed };
  }

  test("plain moto_server has the gap", async () => {
    await expect(sign(plain, "plain-signing")).rejects.toThrow();
  });

  test("the patched server fixes it: the job succeeds and writes exactly the named version under the destination prefix", async () => {
    const { jobId, job, bucket, signedKey, signed } = await sign(patched, "patched-signing");
    expect(job).toMatchObject({ status: "Succeeded", profileName: "patched-signing_profile", platformId: "AWSLambda-SHA384-ECDSA" });
    expect(job.signedObject).toEqual({ s3: { bucketName: bucket, key: `signed/fn/${jobId}.zip` } });
    expect(signedKey).toBe(`signed/fn/${jobId}.zip`);
    expect(signed).toBe("package bytes");
  });

  test("the patched server refuses a job for a profile that does not exist", async () => {
    const signer = track(new SignerClient(config(patched)));
    await expect(
      signer.send(
        new StartSigningJobCommand({
          profileName: "no_such_profile",
          source: { s3: { bucketName: "patched-signing-code", key: "unsigned/fn.zip", version: "v" } },
          destination: { s3: { bucketName: "patched-signing-code", prefix: "signed/" } },
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});

describe("patched_moto_server.py", () => {
  test("reports the patches it applied when it starts", () => {
    expect(patched.output()).toContain(
      "with patches: patch_account_from_access_key, patch_cloudtrail_trail_arn, patch_kms_rotation_period, patch_lambda_kms_key_arn, patch_lambda_dead_letter_config, patch_iam_identity_policy_actions, patch_iam_action_names, patch_iam_signature_of_bodyless_requests, patch_iam_signature_of_encoded_urls, patch_s3_logging_policy_lists, patch_s3_eventbridge_notification, patch_s3_replication_rule_fields, patch_logs_associate_kms_key, patch_kms_replicate_key, patch_kms_multi_region_key_id, patch_lambda_code_signing_configs, patch_s3_bucket_policy_secure_transport, patch_signer_signing_jobs",
    );
  });

  test("fails when the installed moto is not the version the patches were written for", () => {
    // Imports the script as a module (its __main__ block does not run) with moto's version changed.
    const program = [
      "import sys, moto",
      `sys.path.insert(0, ${JSON.stringify(path.dirname(PATCHED_MOTO_SERVER))})`,
      'moto.__version__ = "9.9.9"',
      "import patched_moto_server",
      "patched_moto_server.apply_patches()",
      'print("patches applied")',
    ].join("\n");
    const result = spawnSync(process.env.MOTO_PYTHON ?? "python3", ["-c", program], { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } });
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("patches applied");
    expect(result.stderr).toContain("patched_moto_server.py patches moto 5.2.1, found 9.9.9");
    expect(result.stderr).toContain('install "moto[server]==5.2.1"');
  });
});
