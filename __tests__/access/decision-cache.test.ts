/**
 * The access check shares decisions between stacks that differ only by
 * account ID; these tests show it shares exactly when the policy engine
 * could not tell the accounts apart, and that every stack's results name its
 * own account; and that decisions kept between synths are used only for
 * the same inputs and the same engine, which a synth needing none of them
 * does not even load.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AccessExpectation, StackModel, evaluate } from "../../access";
import { ACCOUNT_PLACEHOLDER, DecisionCache, renamable } from "../../access/decision-cache";
import { ACCESS_CACHE_ENV, DecisionStore, decisionStoreFile, engineFingerprint } from "../../access/decision-store";
import { REPO } from "../support/stack-config";

const FIRST = "111111111111";
const SECOND = "222222222222";

function keyArn(account: string): string {
  return `arn:aws:kms:eu-west-1:${account}:key/11111111-2222-3333-4444-555555555555`;
}

/** A stack with one key whose policy is `statement` plus the account root's IAM delegation. */
function keyStack(account: string, statement: Record<string, unknown>): StackModel {
  return {
    stackName: `stack-${account}`,
    accountId: account,
    region: "eu-west-1",
    partition: "aws",
    keys: [
      {
        address: "aws_kms_key.key",
        arn: keyArn(account),
        accountId: account,
        region: "eu-west-1",
        policy: { Version: "2012-10-17", Statement: [statement] },
        tags: {},
        aliases: [],
        multiRegion: false,
      },
    ],
    grants: [],
    roles: [],
    functions: [],
    secrets: [],
    logGroups: [],
    trails: [],
    buckets: [],
    topics: [],
    signedCode: [],
    replications: [],
    resourceTypes: ["aws_kms_key"],
  };
}

function decrypt(account: string): AccessExpectation {
  return {
    description: `app of ${account} decrypts`,
    request: { principal: `arn:aws:iam::${account}:role/app`, action: "kms:Decrypt", resource: keyArn(account), identityPolicies: "allow-all" },
    expect: "Allowed",
    fix: "none",
  };
}

describe("renamable: where replacing the account ID cannot change a decision", () => {
  test("an ID between non-digits, with no wildcard or numeric comparison near it, is renamable", () => {
    expect(renamable(`{"Principal":"arn:aws:iam::${FIRST}:role/app","Resource":"arn:aws:kms:*:${FIRST}:key/*"}`, FIRST)).toBe(true);
  });

  test("a wildcard next to a digit could match part of an ID: not renamable", () => {
    expect(renamable(`{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::1*:role/app"}}`, FIRST)).toBe(false);
    expect(renamable(`{"Resource":"arn:aws:kms:eu-west-1:11111111111?:key/x"}`, FIRST)).toBe(false);
  });

  test("an ID inside a longer run of digits, the placeholder itself, or a numeric or date operator: not renamable", () => {
    expect(renamable(`"arn:aws:iam::${FIRST}1:root"`, FIRST)).toBe(false);
    expect(renamable(`"arn:aws:iam::${ACCOUNT_PLACEHOLDER}:root" "${FIRST}"`, FIRST)).toBe(false);
    expect(renamable(`{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}} "${FIRST}"`, FIRST)).toBe(false);
    expect(renamable(`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, FIRST)).toBe(false);
  });
});

describe("decisions shared between accounts", () => {
  const allowApp = (account: string) => ({
    Sid: `AllowApp${account}`,
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${account}:role/app` },
    Action: "kms:Decrypt",
    Resource: "*",
  });

  test("two accounts' stacks of one shape run the engine once, and each result names its own account", async () => {
    const cache = new DecisionCache();
    const first = await evaluate(keyStack(FIRST, allowApp(FIRST)), decrypt(FIRST), cache);
    const second = await evaluate(keyStack(SECOND, allowApp(SECOND)), decrypt(SECOND), cache);
    expect(cache.stats).toEqual({ lookups: 2, simulations: 1 });
    expect(first.decision).toBe("Allowed");
    expect(second.decision).toBe("Allowed");
    const allowAll = "identity policy allow-all (an IAM policy allowing every action) statement #1 allows";
    expect(first.decisive).toEqual([allowAll, `resource policy statement AllowApp${FIRST} allows`]);
    expect(second.decisive).toEqual([allowAll, `resource policy statement AllowApp${SECOND} allows`]);
    expect(second.request.principal).toBe(`arn:aws:iam::${SECOND}:role/app`);
  });

  test("a cached decision equals the engine's own on the same request", async () => {
    const cache = new DecisionCache();
    await evaluate(keyStack(FIRST, allowApp(FIRST)), decrypt(FIRST), cache);
    const shared = await evaluate(keyStack(SECOND, allowApp(SECOND)), decrypt(SECOND), cache);
    const direct = await evaluate(keyStack(SECOND, allowApp(SECOND)), decrypt(SECOND));
    expect(shared).toEqual(direct);
  });

  test("a policy that tells the accounts apart is evaluated per account: no decision is carried over", async () => {
    // Allows roles of accounts whose ID starts with 1: the first account's app, not the second's.
    const startsWithOne = {
      Sid: "AllowAccountsStartingWithOne",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::1*:role/app" } },
    };
    const cache = new DecisionCache();
    const first = await evaluate(keyStack(FIRST, startsWithOne), decrypt(FIRST), cache);
    const second = await evaluate(keyStack(SECOND, startsWithOne), decrypt(SECOND), cache);
    expect(first.decision).toBe("Allowed");
    expect(second.decision).toBe("ImplicitlyDenied");
    expect(cache.stats).toEqual({ lookups: 2, simulations: 2 });
  });

  test("another principal or another policy is another simulation", async () => {
    const cache = new DecisionCache();
    await evaluate(keyStack(FIRST, allowApp(FIRST)), decrypt(FIRST), cache);
    const other = { ...decrypt(SECOND), request: { ...decrypt(SECOND).request, principal: `arn:aws:iam::${SECOND}:role/other` } };
    expect((await evaluate(keyStack(SECOND, allowApp(SECOND)), other, cache)).decision).toBe("ImplicitlyDenied");
    const denyAll = { ...allowApp(SECOND), Effect: "Deny" };
    expect((await evaluate(keyStack(SECOND, denyAll), decrypt(SECOND), cache)).decision).toBe("ExplicitlyDenied");
    expect(cache.stats).toEqual({ lookups: 3, simulations: 3 });
  });
});

describe("decisions kept between synths (DecisionStore)", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "decision-store-"));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));
  const allowApp = { Sid: "AllowApp", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${FIRST}:role/app` }, Action: "kms:Decrypt", Resource: "*" };

  test("the next synth takes an unchanged request's decision from the file, and a changed policy goes to the engine", async () => {
    const file = path.join(folder, "kept.json");
    const store = DecisionStore.open(file);
    const first = new DecisionCache(store);
    const decided = await evaluate(keyStack(FIRST, allowApp), decrypt(FIRST), first);
    expect(first.stats.simulations).toBe(1);
    store.save();

    const next = new DecisionCache(DecisionStore.open(file));
    expect(await evaluate(keyStack(FIRST, allowApp), decrypt(FIRST), next)).toEqual(decided);
    expect(next.stats).toEqual({ lookups: 1, simulations: 0 });
    const changed = await evaluate(keyStack(FIRST, { ...allowApp, Effect: "Deny" }), decrypt(FIRST), next);
    expect(changed.decision).toBe("ExplicitlyDenied");
    expect(next.stats).toEqual({ lookups: 2, simulations: 1 });
  });

  test("decisions stored by another engine (another version, a patch, other access-check code) are not used", async () => {
    const file = path.join(folder, "other-engine.json");
    const cache = new DecisionCache(DecisionStore.open(file));
    const lookup = cache.prepare({ request: "x", identityPolicies: [], resourcePolicy: undefined, boundary: undefined }, FIRST);
    fs.writeFileSync(file, JSON.stringify({ engine: "another engine", decisions: { [lookup.key]: ["Allowed", []] } }));
    expect(new DecisionCache(DecisionStore.open(file)).get(lookup)).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ engine: engineFingerprint(), decisions: { [lookup.key]: ["Allowed", []] } }));
    expect(new DecisionCache(DecisionStore.open(file)).get(lookup)).toEqual({ decision: "Allowed", decisive: [] });
  });

  test("a synth whose every decision is kept does not load the policy engine", () => {
    // The compiled app in a process of its own: jest's module registry would hide what Node loads.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [ACCESS_CACHE_ENV]: path.join(folder, "app-decisions.json"),
      CDKTF_OUTDIR: path.join(folder, "app-out"),
      CHECKPOINT_DISABLE: "1",
    };
    delete env.LAMBDA_KMS_CONFIG;
    delete env.CDKTF_CONTEXT_JSON;
    const preload = path.join(__dirname, "..", "fixtures", "report-loaded-engine.js");
    const run = () => spawnSync(process.execPath, ["-r", preload, path.join(REPO, "dist", "main.js")], { cwd: REPO, env, encoding: "utf8", timeout: 120_000 });
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stderr).toContain("policy engine loaded: yes");
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stderr).toContain("policy engine loaded: no");
  });

  test(`${ACCESS_CACHE_ENV}: off, a path, or the project's node_modules/.cache (never created outside a project)`, () => {
    expect(decisionStoreFile({ [ACCESS_CACHE_ENV]: "off" }, folder)).toBeUndefined();
    expect(decisionStoreFile({ [ACCESS_CACHE_ENV]: "kept.json" }, folder)).toBe(path.join(folder, "kept.json"));
    expect(decisionStoreFile({}, folder)).toBeUndefined();
    fs.mkdirSync(path.join(folder, "node_modules"));
    expect(decisionStoreFile({}, folder)).toBe(path.join(folder, "node_modules", ".cache", "cdktf-lambda-kms", "access-decisions.json"));
  });
});
