import * as fs from "fs";
import { Testing } from "cdktf";

import { validateConfig } from "../../config/validate-config";
import { addStacks } from "../../stacks/synthesize-app";
import { WorkloadStack } from "../../stacks/workload-stack";
import { configRefusal, defaultConfigDocument as doc, Json, makeStackTestFolder } from "../support/stack-config";

let tmp: string;
let configFile: string;
let outdir: string;
const appOutdirs: string[] = [];

beforeAll(() => {
  ({ tmp, configFile, outdir } = makeStackTestFolder("multi-region-keys-test-"));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const folder of appOutdirs) fs.rmSync(folder, { recursive: true, force: true });
});

const STAGING = 0;
const PRIMARY_STACK = "staging-eu-west-1";
const REPLICA_STACK = "staging-us-east-1";
const ORDERS_API = 0;

/** The default configuration with staging's keys multi-Region from `fromGeneration`, and orders-api's helper value given once for staging. */
function multiRegion(fromGeneration = 1, generations: Json = {}): Json {
  const document = doc();
  Object.assign(document.accounts[STAGING], { multiRegionKeysFromGeneration: fromGeneration, ...generations });
  const perStack = document.functions[ORDERS_API].encryptedEnvironment.PARTNER_API_KEY;
  perStack.staging = perStack["staging-eu-west-1"];
  delete perStack["staging-eu-west-1"];
  delete perStack["staging-us-east-1"];
  return document;
}

/** Every workload stack of the document, by name, with its Terraform JSON. */
function synthesize(document: Json): Map<string, { stack: WorkloadStack; json: Json }> {
  const app = Testing.app();
  appOutdirs.push(app.outdir);
  const stacks = addStacks(app, validateConfig(document, configFile), outdir).filter((s): s is WorkloadStack => s instanceof WorkloadStack);
  return new Map(stacks.map((stack) => [stack.node.id, { stack, json: JSON.parse(Testing.synth(stack, true)) }]));
}

const refusal = (document: Json): string => configRefusal(document, configFile);

const policyOf = (key: Json) => JSON.parse(key.policy) as { Statement: { Sid: string; Principal?: { AWS?: string[]; Service?: string[] }; Condition?: Json }[] };

describe("multi-Region keys from generation 1", () => {
  let stacks: ReturnType<typeof synthesize>;
  beforeAll(() => {
    stacks = synthesize(multiRegion());
  });

  test("the first region's key is the primary, with its generation alias; no lookup there", () => {
    const { json } = stacks.get(PRIMARY_STACK)!;
    const [key] = Object.values(json.resource.aws_kms_key as Record<string, Json>);
    expect(key.multi_region).toBe(true);
    expect(key.enable_key_rotation).toBe(true);
    expect(Object.values(json.resource.aws_kms_alias as Record<string, Json>).map((a) => a.name)).toEqual(
      expect.arrayContaining(["alias/payments-lambda-env", "alias/payments-lambda-env-generation-1"]),
    );
    expect(json.data).toBeUndefined();
    expect(json.resource.aws_kms_replica_key).toBeUndefined();
  });

  test("the other region's key is a replica of the primary, looked up by its generation alias in the first region and checked to be a primary", () => {
    const { json } = stacks.get(REPLICA_STACK)!;
    expect(json.resource.aws_kms_key).toBeUndefined();
    const [[replicaId, replica]] = Object.entries(json.resource.aws_kms_replica_key as Record<string, Json>);
    expect(replica.primary_key_arn).toBe("${data.aws_kms_key.workload-key-primary.arn}");
    expect(replica.enabled).toBe(true);
    expect(replica.lifecycle).toEqual({ prevent_destroy: true });
    const lookup = json.data.aws_kms_key["workload-key-primary"];
    expect(lookup.key_id).toBe("alias/payments-lambda-env-generation-1");
    expect(lookup.provider).toBe("aws.primary-key");
    expect(lookup.lifecycle.postcondition[0].condition).toBe(
      '${self.multi_region && self.multi_region_configuration[0].multi_region_key_type == "PRIMARY" && self.key_manager == "CUSTOMER" && self.enabled}',
    );
    const primaryRegion = (json.provider.aws as Json[]).find((p) => p.alias === "primary-key")!;
    expect(primaryRegion.region).toBe("eu-west-1");
    expect(primaryRegion.allowed_account_ids).toEqual(["111111111111"]);
    // The replica's own aliases, in its region.
    expect(Object.values(json.resource.aws_kms_alias as Record<string, Json>).map((a) => [a.name, a.target_key_id])).toEqual(
      expect.arrayContaining([
        ["alias/payments-lambda-env", `\${aws_kms_replica_key.${replicaId}.key_id}`],
        ["alias/payments-lambda-env-generation-1", `\${aws_kms_replica_key.${replicaId}.key_id}`],
      ]),
    );
  });

  test("each key's policy is built for its own region", () => {
    const primary = policyOf(Object.values(stacks.get(PRIMARY_STACK)!.json.resource.aws_kms_key as Record<string, Json>)[0]);
    const replica = policyOf(Object.values(stacks.get(REPLICA_STACK)!.json.resource.aws_kms_replica_key as Record<string, Json>)[0]);
    const sid = (policy: typeof primary, name: string) => policy.Statement.find((s) => s.Sid === name)!;
    // The same statements, but for replication, which only the primary has.
    expect(replica.Statement.map((s) => s.Sid)).toEqual(primary.Statement.map((s) => s.Sid).filter((sid) => !sid.includes("Replicat")));
    expect(sid(primary, "DenyReplicationToOtherRegions").Condition).toEqual({ StringNotEquals: { "kms:ReplicaRegion": ["us-east-1"] } });
    expect(sid(primary, "DeployPipelineReplicatesKey").Condition).toEqual({ StringEquals: { "kms:ReplicaRegion": ["us-east-1"] } });
    expect(sid(primary, "CloudWatchLogsEncryptsLogGroups").Principal).toEqual({ Service: ["logs.eu-west-1.amazonaws.com"] });
    expect(sid(replica, "CloudWatchLogsEncryptsLogGroups").Principal).toEqual({ Service: ["logs.us-east-1.amazonaws.com"] });
    expect(sid(replica, "DeployPipelineConfiguresLambda").Condition).toEqual({ StringEquals: { "kms:ViaService": "lambda.us-east-1.amazonaws.com" } });
    expect(JSON.stringify(sid(replica, "CloudWatchLogsEncryptsLogGroups").Condition)).toContain("arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/orders-api");
  });

  test("one ciphertext for the account reaches the function in both regions", () => {
    const ciphertext = doc().functions[ORDERS_API].encryptedEnvironment.PARTNER_API_KEY["staging-eu-west-1"];
    for (const name of [PRIMARY_STACK, REPLICA_STACK]) {
      const fn = Object.values(stacks.get(name)!.json.resource.aws_lambda_function as Record<string, Json>).find((f) => f.function_name === "orders-api")!;
      expect(fn.environment.variables.PARTNER_API_KEY).toBe(ciphertext);
    }
  });

  test("the replica region's stack deploys after the first region's; production, single-Region, is unchanged", () => {
    expect(stacks.get(REPLICA_STACK)!.stack.dependencies.map((d) => d.node.id)).toContain(PRIMARY_STACK);
    expect(stacks.get(PRIMARY_STACK)!.stack.dependencies.map((d) => d.node.id)).not.toContain(REPLICA_STACK);
    const single = synthesize(doc()).get("production-us-east-1")!.json;
    expect(stacks.get("production-us-east-1")!.json).toEqual(single);
  });
});

describe("moving an account to multi-Region keys with a manual rotation", () => {
  let stacks: ReturnType<typeof synthesize>;
  beforeAll(() => {
    stacks = synthesize(multiRegion(2, { keyGeneration: 2, retiringKeyGenerations: [1], encryptedEnvironmentKeyGeneration: 2 }));
  });

  test("generation 1 stays a single-Region key in each region; generation 2 is a primary and a replica", () => {
    const primaryStack = stacks.get(PRIMARY_STACK)!.json;
    const replicaStack = stacks.get(REPLICA_STACK)!.json;
    expect(Object.fromEntries(Object.entries(primaryStack.resource.aws_kms_key as Record<string, Json>).map(([id, k]) => [id, k.multi_region]))).toEqual({
      "workload-key_7A142891": false,
      "workload-key-generation-2_key_5002E8CC": true,
    });
    expect(Object.values(replicaStack.resource.aws_kms_key as Record<string, Json>).map((k) => k.multi_region)).toEqual([false]);
    expect(Object.keys(replicaStack.resource.aws_kms_replica_key)).toHaveLength(1);
    expect(Object.keys(replicaStack.data.aws_kms_key)).toEqual(["workload-key-generation-2-primary"]);
    expect(replicaStack.data.aws_kms_key["workload-key-generation-2-primary"].key_id).toBe("alias/payments-lambda-env-generation-2");
  });
});

describe("refused at load, with the field and the fix", () => {
  test("multiRegionKeysFromGeneration above keyGeneration", () => {
    expect(refusal(multiRegion(2))).toContain(
      "accounts[0].multiRegionKeysFromGeneration: 2 is above keyGeneration 1; raise keyGeneration to it in the same change, so that the new generation's keys are created multi-Region",
    );
  });

  test("a ciphertext for the whole account when its ciphertexts' generation is single-Region", () => {
    const document = multiRegion();
    delete document.accounts[STAGING].multiRegionKeysFromGeneration;
    expect(refusal(document)).toContain(
      "functions[0].encryptedEnvironment.PARTNER_API_KEY.staging: account staging's ciphertexts are made under single-Region keys (generation 1; see multiRegionKeysFromGeneration), so is not a stack of this function",
    );
  });

  test("a ciphertext for the whole account and one for a stack of it", () => {
    const document = multiRegion();
    document.functions[ORDERS_API].encryptedEnvironment.PARTNER_API_KEY["staging-us-east-1"] =
      doc().functions[ORDERS_API].encryptedEnvironment.PARTNER_API_KEY["staging-us-east-1"];
    expect(refusal(document)).toContain(
      "functions[0].encryptedEnvironment.PARTNER_API_KEY.staging: is given for the whole account and also for staging-us-east-1; give one ciphertext for the account, or one per stack",
    );
  });

  test("no ciphertext at all names both ways to give one", () => {
    const document = multiRegion();
    delete document.functions[ORDERS_API].encryptedEnvironment.PARTNER_API_KEY.staging;
    expect(refusal(document)).toContain(
      'functions[0].encryptedEnvironment.PARTNER_API_KEY: has no ciphertext for staging-eu-west-1, staging-us-east-1; encrypt the value once per stack, with that stack\'s key, or once for account staging (key "<account>"), with the multi-Region primary key',
    );
  });
});
