/**
 * The access check: a real IAM policy engine evaluates every generated
 * request of every stack; tests show it catches the regressions it exists
 * for, and that the engine's patch is in place.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { AccessCheckError, StackAccess, accessFailures, checkAccess, evaluate, expectedAccess, readStackModel } from "../../access";
import { ACCESS_CACHE_ENV } from "../../access/decision-store";
import { loadConfig } from "../../config/load-config";
import { EncryptionKey, PolicyStatement } from "../../modules";
import { WorkloadStack } from "../../stacks/workload-stack";
import { synthesizeApp } from "../../stacks/synthesize-app";
import { DEFAULT_STACKS, REPO, defaultConfigDocument } from "../support/stack-config";

// Every decision here comes from the engine itself, none from an earlier synth's (access/decision-store.ts).
process.env[ACCESS_CACHE_ENV] = "off";

const DEFAULT_CONFIG = path.join(REPO, "config", "default.json");
const LOCAL_CONFIG = path.join(REPO, "config", "local.json");
const STACK = "production-us-east-1";

let tmp: string;
let defaultApp: { outdir: string; access: readonly StackAccess[] };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "access-check-"));
  const outdir = path.join(tmp, "default", "cdktf.out");
  const result = await synthesizeApp(loadConfig(DEFAULT_CONFIG), outdir);
  defaultApp = { outdir, access: result.access };
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stackJson(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(defaultApp.outdir, "stacks", name, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
}

const PRODUCTION = {
  keyAdministrators: ["arn:aws:iam::222222222222:role/platform-key-admin"],
  keyUsers: ["arn:aws:iam::222222222222:role/incident-responder"],
  deployers: ["arn:aws:iam::222222222222:role/terraform-deploy"],
};

type Statement = { Sid?: string; Effect: string; Condition?: Record<string, Record<string, unknown>> };

/** The production-us-east-1 stack with its workload key policy (or a role policy) rewritten by `change`. */
function changed(change: (keyPolicy: { Statement: Statement[] }, rolePolicies: Record<string, { Statement: Statement[] }>) => void): Record<string, unknown> {
  const json = stackJson(STACK) as { resource: Record<string, Record<string, { policy: string }>> };
  const key = Object.values(json.resource.aws_kms_key)[0];
  const keyPolicy = JSON.parse(key.policy);
  const rolePolicies = Object.fromEntries(Object.entries(json.resource.aws_iam_role_policy).map(([name, p]) => [name, JSON.parse(p.policy)]));
  change(keyPolicy, rolePolicies);
  key.policy = JSON.stringify(keyPolicy);
  for (const [name, policy] of Object.entries(rolePolicies)) json.resource.aws_iam_role_policy[name].policy = JSON.stringify(policy);
  return json;
}

async function failuresOf(json: Record<string, unknown>): Promise<string[]> {
  const failures = accessFailures(await checkAccess([{ stackName: STACK, json, principals: PRODUCTION }]));
  return failures.map((f) => new AccessCheckError([f]).message);
}

describe("the policy engine", () => {
  const keyArn = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555";
  const role = "arn:aws:iam::111111111111:role/orders";
  const identity = {
    name: "role",
    policy: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn, Condition: { StringEquals: { "kms:EncryptionContext:LambdaFunctionName": "orders" } } }],
    },
  };
  const rootStatement = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "kms:*", Resource: "*" };
  async function decide(functionName: string, keyPolicyStatements: unknown[]) {
    const result = await runSimulation(
      {
        request: {
          principal: role,
          action: "kms:Decrypt",
          resource: { resource: keyArn, accountId: "111111111111" },
          contextVariables: { "kms:EncryptionContext:LambdaFunctionName": functionName },
        },
        identityPolicies: [identity],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: { Version: "2012-10-17", Statement: keyPolicyStatements },
      },
      {},
    );
    if (result.resultType !== "single") throw new Error(JSON.stringify(result));
    return { decision: result.overallResult, ignored: result.result.ignoredContextKeys };
  }

  // Without patches/@cloud-copilot+iam-simulate+0.1.173.patch, 0.1.173 drops kms:EncryptionContext:<key> from the
  // request ("ignored") and the first expectation gets ImplicitlyDenied.
  test("is patched: a kms:EncryptionContext:<key> condition matches the right context", async () => {
    expect(await decide("orders", [rootStatement])).toEqual({ decision: "Allowed", ignored: [] });
  });

  test("a wrong encryption context is implicitly denied", async () => {
    expect(await decide("billing", [rootStatement])).toEqual({ decision: "ImplicitlyDenied", ignored: [] });
  });

  test("KMS semantics: without the account statement the IAM policy alone allows nothing", async () => {
    expect((await decide("orders", [{ ...rootStatement, Principal: { AWS: "arn:aws:iam::111111111111:role/someone-else" } }])).decision).toBe("ImplicitlyDenied");
  });
});

describe("the default configuration", () => {
  test("every generated request of every stack gets its expected decision", () => {
    const counts = Object.fromEntries(
      defaultApp.access.map((s) => [
        s.model.stackName,
        { requests: s.results.length, unexpected: s.results.filter((r) => !r.ok).length, explicit: s.results.filter((r) => r.decision === "ExplicitlyDenied").length },
      ]),
    );
    for (const [stack, c] of Object.entries(counts)) {
      expect({ stack, unexpected: c.unexpected }).toEqual({ stack, unexpected: 0 });
      // A bootstrap stack holds only the deploy role: one request, whether someone unnamed can assume it.
      if (stack.endsWith("-deployer")) expect({ stack, requests: c.requests }).toEqual({ stack, requests: 1 });
      else expect({ stack, enough: c.requests >= 40, boundaries: c.explicit >= 15 }).toEqual({ stack, enough: true, boundaries: true });
    }
    expect(Object.keys(counts)).toEqual(DEFAULT_STACKS);
  });

  test("the requests cover each function, secret, parameter and log group, and each named principal", () => {
    const descriptions = defaultApp.access.find((s) => s.model.stackName === STACK)!.results.map((r) => `${r.expect}: ${r.description}`);
    for (const expected of [
      "Allowed: orders-api's role decrypts its environment at cold start",
      "Allowed: orders-api's runtime decrypts its helper values",
      "Denied: orders-api's role decrypts helper values of nightly-report",
      "Allowed: orders-api's role reads payments/orders-api/db-password",
      "Allowed: orders-api's role decrypts payments/orders-api/db-password through secretsmanager",
      "Allowed: orders-api's role decrypts /payments/orders-api/partner-webhook-token through ssm",
      "Allowed: CloudWatch Logs uses the key for /aws/lambda/nightly-report",
      "Allowed: deployer arn:aws:iam::222222222222:role/terraform-deploy creates the encrypted log group /aws/lambda/orders-api through CloudWatch Logs",
      "ExplicitlyDenied: deployer arn:aws:iam::222222222222:role/terraform-deploy calls kms:Decrypt directly, whatever IAM allows",
      "ExplicitlyDenied: key administrator arn:aws:iam::222222222222:role/platform-key-admin calls kms:Decrypt, whatever IAM allows",
      "Allowed: an IAM administrator of the account calls kms:PutKeyPolicy (the key stays manageable)",
      "ExplicitlyDenied: a principal the config does not name calls kms:Decrypt, with an IAM policy that allows kms:*",
      "Denied: a role in another account calls kms:Decrypt",
      "Allowed: deployer arn:aws:iam::222222222222:role/terraform-deploy writes and reads back payments/orders-api/db-password through secretsmanager (kms:Decrypt)",
      "Denied: deployer arn:aws:iam::222222222222:role/terraform-deploy decrypts another secretsmanager value through secretsmanager",
      "Allowed: deployer arn:aws:iam::222222222222:role/terraform-deploy writes and reads back /payments/orders-api/partner-webhook-token through ssm (kms:Encrypt)",
      // With only the generated deployer policy:
      "Allowed: the deployer calls lambda:CreateFunction on function orders-api",
      "Allowed: the deployer calls kms:PutKeyPolicy on key",
      "Allowed: the deployer creates a key with the stack's tags",
      "Denied: the deployer creates a key without the stack's tags",
      "Denied: the deployer changes the policy of a key without the stack's tags",
      "Allowed: the deployer passes orders-api's role to Lambda",
      "Denied: the deployer passes orders-api's role to another service (EC2)",
      "Denied: the deployer creates role orders-api-us-east-1 without its permissions boundary",
      "Denied: the deployer creates a role the stack does not have",
      "Denied: the deployer updates the code of a function the stack does not have",
      "Allowed: the deployer calls secretsmanager:GetSecretValue on secret payments/orders-api/db-password",
      "Denied: the deployer reads a secret the stack does not have",
      "Allowed: the deployer calls ssm:GetParameter on parameter /payments/orders-api/partner-webhook-token",
    ]) {
      expect({ expected, found: descriptions.some((d) => d.startsWith(expected)) }).toEqual({ expected, found: true });
    }
  });

  test("the local (emulator) configuration passes too, its multi-Region keys included", async () => {
    const outdir = path.join(tmp, "local", "cdktf.out");
    const result = await synthesizeApp(loadConfig(LOCAL_CONFIG), outdir);
    expect(accessFailures(result.access)).toEqual([]);
    expect(result.access.reduce((n, s) => n + s.results.length, 0)).toBeGreaterThan(100);
    // staging's keys are multi-Region: the primary in eu-west-1 may go to us-east-1 only.
    const primary = result.access.find((s) => s.model.stackName === "staging-eu-west-1")!;
    const replication = primary.results
      .filter((r) => r.request.action === "kms:ReplicateKey")
      .map((r) => [r.request.principal, r.request.context["kms:ReplicaRegion"], r.decision]);
    expect(replication).toEqual([
      ["arn:aws:iam::111111111111:role/terraform-deploy", "us-east-1", "Allowed"],
      ["arn:aws:iam::111111111111:role/terraform-deploy", "ap-southeast-2", "ExplicitlyDenied"],
      ["arn:aws:iam::111111111111:role/platform-key-admin", "ap-southeast-2", "ExplicitlyDenied"],
      ["arn:aws:iam::111111111111:role/access-check/not-in-config", "ap-southeast-2", "ExplicitlyDenied"],
    ]);
    // The replica's own policy is proven in its region like any key's.
    const replica = result.access.find((s) => s.model.stackName === "staging-us-east-1")!;
    expect(replica.model.keys.map((k) => [k.address.split(".")[0], k.region])).toEqual([["aws_kms_replica_key", "us-east-1"]]);
    expect(replica.results.filter((r) => r.request.resource === replica.model.keys[0].arn).length).toBeGreaterThan(30);

    // Without the Deny, the check fails on the replication to another region.
    const json = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "staging-eu-west-1", "cdk.tf.json"), "utf8"));
    const key = Object.values(json.resource.aws_kms_key as Record<string, { policy: string }>)[0];
    const policy = JSON.parse(key.policy) as { Statement: Statement[] };
    policy.Statement = policy.Statement.filter((statement) => statement.Sid !== "DenyReplicationToOtherRegions");
    key.policy = JSON.stringify(policy);
    const failures = accessFailures(await checkAccess([{ stackName: "staging-eu-west-1", json, principals: primary.principals }])).map((f) => f.description);
    expect(failures).toEqual(expect.arrayContaining([expect.stringMatching(/replicates key .* to ap-southeast-2, outside the account's regions/)]));
    expect(failures.every((f) => f.includes("ap-southeast-2"))).toBe(true);

    // nightly-report is signed: the pipeline signs with its stack's profile only, and uploads to its code bucket only.
    const signed = result.access.find((s) => s.model.stackName === "production-eu-west-1")!;
    const signing = signed.results
      .filter((r) => ["signer:StartSigningJob", "s3:PutObject"].includes(r.request.action))
      .map((r) => [r.request.action, r.request.resource, r.decision]);
    expect(signing).toEqual([
      ["signer:StartSigningJob", "arn:aws:signer:eu-west-1:222222222222:/signing-profiles/payments_lambda", "Allowed"],
      ["s3:PutObject", "arn:aws:s3:::payments-lambda-code-222222222222-eu-west-1/signed/package.zip", "Allowed"],
      ["signer:StartSigningJob", "arn:aws:signer:eu-west-1:222222222222:/signing-profiles/not_in_config", "ImplicitlyDenied"],
      ["s3:PutObject", "arn:aws:s3:::not-in-config/unsigned/package.zip", "ImplicitlyDenied"],
    ]);
  });

  test("access.json and access.md describe every stack, with a Mermaid diagram per account", () => {
    const json = JSON.parse(fs.readFileSync(path.join(defaultApp.outdir, "access.json"), "utf8"));
    const total = defaultApp.access.reduce((n, s) => n + s.results.length, 0);
    expect(json.counts.requests).toBe(total);
    expect(json.counts.unexpected).toBe(0);
    const production = json.stacks.find((s: { stack: string }) => s.stack === STACK);
    const kinds = production.keys[0].access.map((e: { kind: string; source: string }) => `${e.kind} ${e.source}`);
    expect(kinds).toEqual(expect.arrayContaining(["administer key policy KeyAdministration", "decrypt key policy KeyUsage", "deny key policy DenyKeyUseByUnlistedPrincipals"]));
    const markdown = fs.readFileSync(path.join(defaultApp.outdir, "access.md"), "utf8");
    expect(markdown.match(/```mermaid/g)).toHaveLength(2);
    expect(markdown).toContain("## Account 222222222222");
    expect(markdown).toContain(`### Stack ${STACK}`);
  });
});

describe("the check fails when a limit is gone", () => {
  test("without the Deny statements, a principal the config does not name can use the key through IAM", async () => {
    const failures = await failuresOf(changed((keyPolicy) => (keyPolicy.Statement = keyPolicy.Statement.filter((s) => s.Effect !== "Deny"))));
    const unlisted = failures.find((f) => f.includes("a principal the config does not name calls kms:Decrypt"))!;
    expect(unlisted).toContain(`[${STACK}]`);
    expect(unlisted).toContain("arn:aws:iam::222222222222:role/access-check/not-in-config kms:Decrypt on arn:aws:kms:us-east-1:222222222222:key/");
    expect(unlisted).toContain("expected ExplicitlyDenied, got Allowed");
    expect(unlisted).toContain("fix: keep DenyKeyUseByUnlistedPrincipals");
    expect(failures.some((f) => f.includes("key administrator arn:aws:iam::222222222222:role/platform-key-admin calls kms:Decrypt"))).toBe(true);
    expect(failures.some((f) => f.includes("deployer arn:aws:iam::222222222222:role/terraform-deploy calls kms:Decrypt directly"))).toBe(true);
  });

  test("without the deployer's CloudWatch Logs statement, creating the encrypted log groups fails", async () => {
    const failures = await failuresOf(changed((keyPolicy) => (keyPolicy.Statement = keyPolicy.Statement.filter((s) => s.Sid !== "DeployPipelineCreatesEncryptedLogGroups"))));
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures)
      expect(f).toMatch(/creates the encrypted log group .* expected Allowed, got ImplicitlyDenied .* fix: keep the DeployPipelineCreatesEncryptedLogGroups/);
  });

  test("one changed encryption-context value breaks exactly the request that needs it", async () => {
    const failures = await failuresOf(
      changed((_keyPolicy, roles) => {
        for (const policy of Object.values(roles)) {
          const helper = policy.Statement.find((s) => s.Sid === "DecryptHelperEncryptedValues");
          if (helper) helper.Condition!.StringEquals["kms:EncryptionContext:LambdaFunctionName"] = "orders-apx";
        }
      }),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("orders-api's runtime decrypts its helper values");
    expect(failures[0]).toContain("kms:EncryptionContext:LambdaFunctionName=orders-api: expected Allowed, got ImplicitlyDenied");
  });

  test("synth fails with the explanation and leaves the output folder as it was", async () => {
    const outdir = path.join(tmp, "failing", "cdktf.out");
    const breakLogs = (stacks: readonly unknown[]) => {
      const stack = stacks.find((s): s is WorkloadStack => s instanceof WorkloadStack && s.node.id === "staging-eu-west-1")!;
      stack.key.addToKeyPolicy(
        new PolicyStatement({ sid: "DenyLogs", effect: "Deny", principals: { Service: ["logs.eu-west-1.amazonaws.com"] }, actions: ["kms:GenerateDataKey*"], resources: ["*"] }),
      );
    };
    await expect(synthesizeApp(loadConfig(DEFAULT_CONFIG), outdir, { extendStacks: breakLogs })).rejects.toThrow(
      /access check failed: 1 unexpected decision\n {2}\[staging-eu-west-1\] CloudWatch Logs uses the key for \/aws\/lambda\/orders-api .*logs\.eu-west-1\.amazonaws\.com kms:GenerateDataKey .*expected Allowed, got ExplicitlyDenied \(resource policy statement DenyLogs denies\) — fix: register the log group/,
    );
    expect(fs.existsSync(path.join(outdir, "stacks"))).toBe(false);
    expect(fs.existsSync(path.join(outdir, "access.md"))).toBe(false);
  });
});

describe("your own expectations", () => {
  test("are evaluated with the generated ones, and a wrong one fails the synth", async () => {
    const outdir = path.join(tmp, "own", "cdktf.out");
    const config = loadConfig(DEFAULT_CONFIG);
    const result = await synthesizeApp(config, outdir, {
      accessExpectations: (model) =>
        model.keys.map((key) => ({
          description: "the incident responder cannot re-encrypt",
          expect: "Denied" as const,
          fix: "keep KeyUsage to Decrypt and DescribeKey",
          request: { principal: "arn:aws:iam::222222222222:role/incident-responder", action: "kms:ReEncryptFrom", resource: key.arn },
        })),
    });
    const withKeys = result.access.filter((s) => s.model.keys.length > 0);
    expect(withKeys.map((s) => s.model.stackName)).toHaveLength(6);
    expect(withKeys.every((s) => s.results.some((r) => r.description === "the incident responder cannot re-encrypt" && r.ok))).toBe(true);

    await expect(
      synthesizeApp(config, outdir, {
        accessExpectations: (model) =>
          model.functions.map((fn) => ({
            description: `${fn.name} reads everything`,
            expect: "Allowed" as const,
            fix: "none",
            request: { principal: fn.roleArn, action: "s3:GetObject", resource: "arn:aws:s3:::any-bucket/x" },
          })),
      }),
    ).rejects.toThrow(
      /\[staging-eu-west-1\] orders-api reads everything: arn:aws:iam::111111111111:role\/payments\/eu-west-1\/orders-api-eu-west-1 s3:GetObject .*expected Allowed, got ImplicitlyDenied \(no statement allows it/,
    );
  });
});

test("allowIamToGrantKeyUse: IAM decides for unlisted principals, and the report says so", async () => {
  const document = defaultConfigDocument();
  for (const account of document.accounts) account.allowIamToGrantKeyUse = true;
  const file = path.join(tmp, "iam-decides.json");
  fs.writeFileSync(file, JSON.stringify(document));
  const result = await synthesizeApp(loadConfig(file), path.join(tmp, "iam-decides", "cdktf.out"));
  const unlisted = result.access.find((s) => s.model.stackName === STACK)!.results.find((r) => r.description.startsWith("a principal the config does not name calls kms:Decrypt"))!;
  expect(unlisted).toMatchObject({ expect: "Allowed", decision: "Allowed", ok: true });
  expect(unlisted.fix).toContain("with allowIamToGrantKeyUse: true, IAM decides");
});

test("helper encrypters: encrypt for a function, nothing without its context, never decrypt", async () => {
  const document = defaultConfigDocument();
  const operator = "arn:aws:iam::222222222222:role/platform-operator";
  document.accounts[1].helperEncrypterArns = [operator];
  const file = path.join(tmp, "encrypters.json");
  fs.writeFileSync(file, JSON.stringify(document));
  const result = await synthesizeApp(loadConfig(file), path.join(tmp, "encrypters", "cdktf.out"));
  const decisions = result.access
    .find((s) => s.model.stackName === STACK)!
    .results.filter((r) => r.description.startsWith(`helper encrypter ${operator}`))
    .map((r) => [r.description.replace(/ \(key .*\)$/, ""), r.decision, r.ok]);
  expect(decisions).toEqual([
    [`helper encrypter ${operator} encrypts a value for orders-api`, "Allowed", true],
    [`helper encrypter ${operator} encrypts without the LambdaFunctionName context`, "ImplicitlyDenied", true],
    [`helper encrypter ${operator} decrypts a helper value, whatever IAM allows`, "ExplicitlyDenied", true],
  ]);
  // The audit key knows no helper encrypters.
  expect(result.access.find((s) => s.model.stackName === "production-audit")!.results.filter((r) => r.description.includes(operator))).toEqual([]);
});

test("a role of the stack is evaluated with its own identity policies, a boundary included", async () => {
  const json = stackJson(STACK);
  const model = readStackModel(STACK, json);
  const role = model.roles.find((r) => r.name === "orders-api-us-east-1")!;
  expect(role.identityPolicies.map((p) => p.name)).toEqual(["aws_iam_role_policy.orders-api_role_policy_67632F8A"]);
  const own = expectedAccess(model, PRODUCTION).find((e) => e.description.startsWith("orders-api's role decrypts its environment"))!;
  const bounded = {
    ...model,
    roles: model.roles.map((r) =>
      r === role ? { ...r, boundary: { name: "boundary", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }] } } } : r,
    ),
  };
  expect((await evaluate(model, own)).decision).toBe("Allowed");
  expect((await evaluate(bounded, own)).decision).toBe("ImplicitlyDenied");
});

describe("policies the model reads", () => {
  test("a role policy from an aws_iam_policy_document data source is read as the compliance rules read it, references resolved", async () => {
    const json = stackJson(STACK) as { resource: Record<string, Record<string, Record<string, unknown>>>; data?: unknown };
    const [name, rolePolicy] = Object.entries(json.resource.aws_iam_role_policy).find(([n]) => n.startsWith("orders-api"))!;
    const statements = JSON.parse(rolePolicy.policy as string).Statement as {
      Sid: string;
      Action: string[];
      Resource: string[];
      Condition?: Record<string, Record<string, string>>;
    }[];
    json.data = {
      aws_iam_policy_document: {
        orders: {
          statement: statements.map((s) => ({
            sid: s.Sid,
            actions: s.Action,
            resources: s.Resource,
            condition: Object.entries(s.Condition ?? {}).flatMap(([test, keys]) => Object.entries(keys).map(([variable, value]) => ({ test, variable, values: [value] }))),
          })),
        },
      },
    };
    json.resource.aws_iam_role_policy[name].policy = "${data.aws_iam_policy_document.orders.json}";
    expect(await failuresOf(json)).toEqual([]);
  });

  test("a policy the check cannot read at synth fails, naming the resource", () => {
    const json = stackJson(STACK) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const name = Object.keys(json.resource.aws_iam_role_policy)[0];
    json.resource.aws_iam_role_policy[name].policy = "${var.policy}";
    expect(() => readStackModel(STACK, json)).toThrow(
      `access check, stack ${STACK}: aws_iam_role_policy.${name}: the policy is not a JSON document (a Terraform expression that is only known at apply time); the access check needs every policy at synth`,
    );
  });
});

describe("a manual rotation: generation 2 current, generation 1 retiring", () => {
  const operator = "arn:aws:iam::222222222222:role/platform-operator";
  let rotated: { outdir: string; access: readonly StackAccess[] };
  const retiringPrincipals = { ...PRODUCTION, helperEncrypters: [operator], retiringKeyAliases: ["alias/payments-lambda-env-generation-1"] };

  beforeAll(async () => {
    const document = defaultConfigDocument();
    Object.assign(document.accounts[1], { keyGeneration: 2, retiringKeyGenerations: [1], helperEncrypterArns: [operator] });
    const file = path.join(tmp, "rotated.json");
    fs.writeFileSync(file, JSON.stringify(document));
    const outdir = path.join(tmp, "rotated", "cdktf.out");
    rotated = { outdir, access: (await synthesizeApp(loadConfig(file), outdir)).access };
  });

  function rotatedJson(): { resource: Record<string, Record<string, { policy: string }>> } {
    return JSON.parse(fs.readFileSync(path.join(rotated.outdir, "stacks", STACK, "cdk.tf.json"), "utf8"));
  }

  test("the retiring key is proven decrypt-only, still readable where it must be, and key users may move values to the new key", () => {
    const results = rotated.access.find((s) => s.model.stackName === STACK)!.results.filter((r) => r.description.endsWith("(retiring key aws_kms_key.workload-key_7A142891)"));
    const decided = (start: string) => results.filter((r) => r.description.startsWith(start)).map((r) => [r.request.action, r.decision, r.ok]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(decided(`${operator} calls`)).toEqual([
      ["kms:Encrypt", "ExplicitlyDenied", true],
      ["kms:GenerateDataKey", "ExplicitlyDenied", true],
      ["kms:ReEncryptTo", "ExplicitlyDenied", true],
    ]);
    expect(decided("arn:aws:iam::222222222222:role/terraform-deploy calls")).toEqual([
      ["kms:Encrypt", "ExplicitlyDenied", true],
      ["kms:GenerateDataKey", "ExplicitlyDenied", true],
      ["kms:ReEncryptTo", "ExplicitlyDenied", true],
    ]);
    expect(decided("key user arn:aws:iam::222222222222:role/incident-responder re-encrypts")).toEqual([
      ["kms:ReEncryptFrom", "Allowed", true],
      ["kms:ReEncryptTo", "Allowed", true],
      ["kms:ReEncryptFrom", "Allowed", true],
      ["kms:ReEncryptFrom", "ImplicitlyDenied", true],
    ]);
    expect(decided("orders-api's runtime still decrypts helper values")).toEqual([["kms:Decrypt", "Allowed", true]]);
    expect(decided("orders-api's role still reads /payments/orders-api/partner-webhook-token")).toEqual([["kms:Decrypt", "Allowed", true]]);
    expect(decided("CloudWatch Logs still reads")).toEqual([
      ["kms:Decrypt", "Allowed", true],
      ["kms:Decrypt", "Allowed", true],
    ]);
    // The helper encrypter encrypts with the new key only.
    const current = rotated.access
      .find((s) => s.model.stackName === STACK)!
      .results.find((r) => r.description.startsWith(`helper encrypter ${operator} encrypts a value for orders-api`))!;
    expect(current.description).toContain("workload-key-generation-2");
    expect(current.decision).toBe("Allowed");
  });

  test("without DenyEncryptionWithRetiringKey, the check fails and names the statement to keep", async () => {
    const json = rotatedJson();
    const retiring = json.resource.aws_kms_key["workload-key_7A142891"];
    const policy = JSON.parse(retiring.policy) as { Statement: Statement[] };
    policy.Statement = policy.Statement.filter((s) => s.Sid !== "DenyEncryptionWithRetiringKey");
    retiring.policy = JSON.stringify(policy);
    const failures = accessFailures(await checkAccess([{ stackName: STACK, json, principals: retiringPrincipals }])).map((f) => new AccessCheckError([f]).message);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.includes("keep DenyEncryptionWithRetiringKey (decryptOnly)"))).toBe(true);
    // With an IAM policy that allows everything, the key user could encrypt under the retiring key again.
    expect(failures.join("\n")).toContain("role/incident-responder calls kms:Encrypt, whatever IAM allows (retiring key aws_kms_key.workload-key_7A142891)");
  });

  test("a role that lost its statement for the retiring key fails the check", async () => {
    const json = rotatedJson();
    const [name, rolePolicy] = Object.entries(json.resource.aws_iam_role_policy).find(([n]) => n.startsWith("orders-api"))!;
    const policy = JSON.parse(rolePolicy.policy) as { Statement: Statement[] };
    policy.Statement = policy.Statement.filter((s) => s.Sid !== "DecryptHelperEncryptedValuesWithWorkloadKey");
    json.resource.aws_iam_role_policy[name].policy = JSON.stringify(policy);
    const failures = accessFailures(await checkAccess([{ stackName: STACK, json, principals: retiringPrincipals }])).map((f) => f.description);
    expect(failures).toEqual(["orders-api's runtime still decrypts helper values made with the key (retiring key aws_kms_key.workload-key_7A142891)"]);
  });
});

describe("constrained grants (EncryptionKey.addConstrainedGrant)", () => {
  const ACCOUNT = "333333333333";
  const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/terraform-deploy`;
  const BATCH = `arn:aws:iam::${ACCOUNT}:role/orders-batch`;

  function grantStackJson(): Record<string, unknown> {
    const stack = new TerraformStack(Testing.app({ outdir: tmp }), "grants");
    new AwsProvider(stack, "aws", { region: "eu-west-1", allowedAccountIds: [ACCOUNT] });
    const key = new EncryptionKey(stack, "key", { accountId: ACCOUNT, region: "eu-west-1", aliases: ["lambda-env"], deployerArns: [DEPLOYER] });
    key.addConstrainedGrant("orders-batch", { granteePrincipalArn: BATCH, encryptionContextEquals: { LambdaFunctionName: "orders-api" } });
    return JSON.parse(Testing.synth(stack)) as Record<string, unknown>;
  }

  async function grantFailures(json: Record<string, unknown>): Promise<string[]> {
    return accessFailures(await checkAccess([{ stackName: "grants", json, principals: { deployers: [DEPLOYER] } }])).map((f) => f.description);
  }

  function withoutStatement(sid: string): Record<string, unknown> {
    const json = grantStackJson() as { resource: { aws_kms_key: Record<string, { policy: string }> } };
    const key = Object.values(json.resource.aws_kms_key)[0];
    const policy = JSON.parse(key.policy) as { Statement: Statement[] };
    expect(policy.Statement.some((s) => s.Sid === sid)).toBe(true);
    policy.Statement = policy.Statement.filter((s) => s.Sid !== sid);
    key.policy = JSON.stringify(policy);
    return json;
  }

  test("the pipeline creates, lists and revokes the grant; nobody creates it unconstrained, wider or for someone else; the grantee is held to it", async () => {
    const json = grantStackJson();
    const [stack] = await checkAccess([{ stackName: "grants", json, principals: { deployers: [DEPLOYER] } }]);
    const grantResults = stack.results.filter((r) => r.description.includes("grant aws_kms_grant."));
    expect(grantResults.filter((r) => !r.ok)).toEqual([]);
    const decisions = Object.fromEntries(grantResults.map((r) => [r.description.replace(/ \(grant .*$/, ""), r.decision]));
    expect(decisions).toEqual({
      [`deployer ${DEPLOYER} creates the grant`]: "Allowed",
      [`deployer ${DEPLOYER} calls kms:ListGrants to read or delete the grant`]: "Allowed",
      [`deployer ${DEPLOYER} calls kms:RevokeGrant to read or delete the grant`]: "Allowed",
      [`${DEPLOYER} creates the grant without its encryption-context constraint, whatever IAM allows`]: "ExplicitlyDenied",
      [`${DEPLOYER} creates a grant for ${BATCH} that also gives kms:ReEncryptFrom, whatever IAM allows`]: "ExplicitlyDenied",
      [`${DEPLOYER} creates the same grant for a principal that is not a grantee, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:Decrypt with the grant's encryption context: no Deny stands in the grant's way`]: "Allowed",
      [`grantee ${BATCH} calls kms:Decrypt with LambdaFunctionName=orders-api-other, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:Decrypt without an encryption context, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:Encrypt, which its grants do not give, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:GenerateDataKey, which its grants do not give, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:ReEncryptFrom, which its grants do not give, whatever IAM allows`]: "ExplicitlyDenied",
      [`grantee ${BATCH} calls kms:GenerateDataKeyPair, which its grants do not give, whatever IAM allows`]: "ExplicitlyDenied",
    });
    expect(accessFailures([stack])).toEqual([]);
  });

  test.each([
    ["DenyUnconstrainedGrants", /creates the grant without its encryption-context constraint/],
    ["DenyGrantOperationsNotRegistered", /creates a grant for .* that also gives kms:ReEncryptFrom/],
    ["DenyGrantee1ContextOutsideGrants", /calls kms:Decrypt (with LambdaFunctionName=orders-api-other|without an encryption context)/],
    ["DenyGrantee1OperationsOutsideGrants", /calls kms:\w+, which its grants do not give/],
    ["DeployPipelineCreatesConstrainedGrants", /deployer .* creates the grant/],
  ])("without %s, the check fails on the request it guards", async (sid, description) => {
    const failures = await grantFailures(withoutStatement(sid));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure).toMatch(description);
  });
});

describe("audit.replication: the log bucket's replication role", () => {
  let replicated: { outdir: string; access: readonly StackAccess[] };
  const AUDIT = "production-audit";

  beforeAll(async () => {
    const document = defaultConfigDocument();
    document.accounts[1].audit.replication = { region: "eu-central-1" };
    const file = path.join(tmp, "replicated.json");
    fs.writeFileSync(file, JSON.stringify(document));
    const outdir = path.join(tmp, "replicated", "cdktf.out");
    replicated = { outdir, access: (await synthesizeApp(loadConfig(file), outdir)).access };
  });

  test("decrypts with the audit key only through S3 for the log bucket, encrypts with the replica key only through S3 in the replica region; S3 assumes it only for this account's bucket", () => {
    const results = replicated.access
      .find((s) => s.model.stackName === AUDIT)!
      .results.filter((r) => r.description.startsWith("replication of payments-audit-logs-222222222222: "));
    expect(results.map((r) => [r.description.replace("replication of payments-audit-logs-222222222222: ", ""), r.decision, r.ok])).toEqual([
      ["S3 assumes the replication role for the bucket", "Allowed", true],
      ["S3 assumes the replication role for another account's bucket", "ImplicitlyDenied", true],
      ["S3 assumes the replication role for another bucket of the account", "ImplicitlyDenied", true],
      ["a principal the config does not name assumes the replication role, whatever IAM allows", "ImplicitlyDenied", true],
      ["the role reads the bucket's replication configuration", "Allowed", true],
      ["the role reads a log file version to replicate", "Allowed", true],
      ["the role reads a log file (not for replication)", "ImplicitlyDenied", true],
      ["the role deletes a log file version", "ExplicitlyDenied", true],
      ["the role writes a replica", "Allowed", true],
      ["the role writes into another bucket", "ImplicitlyDenied", true],
      ["the role decrypts a log file through S3 in the home region", "Allowed", true],
      ["the role decrypts with the audit key directly, not through S3", "ImplicitlyDenied", true],
      ["the role decrypts another bucket's objects with the audit key", "ImplicitlyDenied", true],
      ["the role encrypts with the audit key", "ImplicitlyDenied", true],
      ["the role encrypts a replica through S3 in the replica region (S3 Bucket Key)", "Allowed", true],
      ["the role encrypts a replica object through S3 in the replica region", "Allowed", true],
      ["the role encrypts with the replica key through S3 in another region", "ImplicitlyDenied", true],
      ["the role decrypts replicas", "ImplicitlyDenied", true],
    ]);
    // Every other request of the stack still gets its expected decision; the replica key's unlisted principals are denied.
    expect(accessFailures(replicated.access)).toEqual([]);
    const replicaKeyUnlisted = replicated.access
      .find((s) => s.model.stackName === AUDIT)!
      .results.filter((r) => r.description.startsWith("a principal the config does not name calls kms:Decrypt") && r.request.resource.includes(":eu-central-1:"));
    expect(replicaKeyUnlisted.map((r) => r.decision)).toEqual(["ExplicitlyDenied"]);
  });

  test("without the kms:ViaService condition on the audit key and in the role's policy, the check fails", async () => {
    const json = JSON.parse(fs.readFileSync(path.join(replicated.outdir, "stacks", AUDIT, "cdk.tf.json"), "utf8"));
    const auditKey = Object.entries(json.resource.aws_kms_key as Record<string, { policy: string; provider?: string }>).find(([, k]) => k.provider === undefined)![1];
    const keyPolicy = JSON.parse(auditKey.policy);
    delete keyPolicy.Statement.find((s: Statement) => s.Sid === "ReplicationDecryptsLogFiles").Condition.StringEquals;
    auditKey.policy = JSON.stringify(keyPolicy);
    const rolePolicy = Object.values(json.resource.aws_iam_role_policy as Record<string, { name: string; policy: string }>).find((p) => p.name === "replicate-log-files")!;
    const policy = JSON.parse(rolePolicy.policy);
    delete policy.Statement.find((s: Statement) => s.Sid === "DecryptSourceObjects").Condition.StringEquals;
    rolePolicy.policy = JSON.stringify(policy);
    const principals = replicated.access.find((a) => a.model.stackName === AUDIT)!.principals;
    const failures = accessFailures(await checkAccess([{ stackName: AUDIT, json, principals }]));
    expect(failures.map((f) => f.description)).toEqual(["replication of payments-audit-logs-222222222222: the role decrypts with the audit key directly, not through S3"]);
  });
});
