/**
 * Each setting is defined once, in the settings object of the construct that
 * owns it. The constructs apply it, and the props' JSDoc `@default` (what an
 * editor shows) must say the same value: this test reads the JSDoc with the
 * TypeScript compiler and compares.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { AUDIT_TRAIL_SETTINGS } from "../../modules/audit-trail";
import { FUNCTION_SETTINGS } from "../../modules/encrypted-function";
import { ENCRYPTION_KEY_SETTINGS, EncryptionKey } from "../../modules/encryption-key";
import { ALIAS_NAME, LIFECYCLE_DAYS, LOG_RETENTION, SSM_PARAMETER_NAME, aliasConstructId } from "../../modules/private/aws-limits";
import { Setting, resolveSetting, settingProblem } from "../../modules/private/setting";
import { SECRETS_MANAGER_SECRET_SETTINGS } from "../../modules/secrets-manager-secret";
import { SECURE_STRING_PARAMETER_SETTINGS } from "../../modules/secure-string-parameter";
import { TRAIL_LOG_BUCKET_SETTINGS } from "../../modules/trail-log-bucket";

const root = path.resolve(__dirname, "..", "..");

/** `@default` of every property of an interface, as written (first word or quoted string). */
function jsdocDefaults(file: string, interfaceName: string): Map<string, string | undefined> {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.ES2022, true);
  const result = new Map<string, string | undefined>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== interfaceName) return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !ts.isIdentifier(member.name)) continue;
      const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === "default");
      const text = typeof tag?.comment === "string" ? tag.comment.trim() : undefined;
      // The value is the first word (or quoted string), before any explanation after ":" or ",".
      result.set(member.name.text, text?.match(/^("[^"]*"|[^\s:,]+)/)?.[1]);
    }
  });
  if (result.size === 0) throw new Error(`${file} has no interface ${interfaceName}`);
  return result;
}

/** Construct props → the setting that defines them (a prop may take another construct's setting, e.g. the audit key's rotation). */
const PROPS: readonly [file: string, props: string, settings: Record<string, Setting>][] = [
  ["modules/encryption-key.ts", "EncryptionKeyProps", ENCRYPTION_KEY_SETTINGS],
  ["modules/encrypted-function.ts", "EncryptedFunctionProps", FUNCTION_SETTINGS],
  ["modules/secrets-manager-secret.ts", "SecretsManagerSecretProps", SECRETS_MANAGER_SECRET_SETTINGS],
  ["modules/secure-string-parameter.ts", "SecureStringParameterProps", SECURE_STRING_PARAMETER_SETTINGS],
  ["modules/trail-log-bucket.ts", "TrailLogBucketProps", TRAIL_LOG_BUCKET_SETTINGS],
  ["modules/access-log-bucket.ts", "AccessLogBucketProps", { retentionDays: TRAIL_LOG_BUCKET_SETTINGS.retentionDays, preventDestroy: TRAIL_LOG_BUCKET_SETTINGS.preventDestroy }],
  [
    "modules/audit-trail.ts",
    "AuditTrailProps",
    {
      ...AUDIT_TRAIL_SETTINGS,
      bucketRetentionDays: TRAIL_LOG_BUCKET_SETTINGS.retentionDays,
      keyRotationPeriodDays: ENCRYPTION_KEY_SETTINGS.rotationPeriodDays,
      keyDeletionWindowDays: ENCRYPTION_KEY_SETTINGS.deletionWindowDays,
      allowIamToGrantKeyUse: ENCRYPTION_KEY_SETTINGS.allowIamToGrantKeyUse,
      preventDestroy: ENCRYPTION_KEY_SETTINGS.preventDestroy,
    },
  ],
];

describe("the JSDoc @default of every prop with a setting says the setting's default", () => {
  test.each(PROPS.map(([file, props, settings]) => [`${props} (${file})`, file, props, settings] as const))("%s", (_label, file, props, settings) => {
    const defaults = jsdocDefaults(file, props);
    const checked = Object.entries(settings).filter(([name, setting]) => defaults.has(name) && setting.default !== undefined);
    expect(checked.length).toBeGreaterThan(0);
    for (const [name, setting] of checked) {
      expect({ prop: name, default: defaults.get(name) }).toEqual({ prop: name, default: JSON.stringify(setting.default) });
    }
  });
});

describe("settingProblem and resolveSetting", () => {
  test("a range names the value and the limits; the construct puts its field in front", () => {
    const rotation = ENCRYPTION_KEY_SETTINGS.rotationPeriodDays;
    expect(settingProblem(rotation, 89)).toBe("89 is out of range; use a whole number from 90 to 2560");
    expect(settingProblem(rotation, 90)).toBeUndefined();
    expect(settingProblem(rotation, 2560)).toBeUndefined();
    expect(settingProblem(rotation, 365.5)).toBe("365.5 is out of range; use a whole number from 90 to 2560");
    expect(() => resolveSetting('encryption key "k"', "rotationPeriodDays", rotation, 2561)).toThrow(
      'encryption key "k": rotationPeriodDays 2561 is out of range; use a whole number from 90 to 2560',
    );
  });

  test("a left-out prop takes the default; a setting without one is required", () => {
    expect(resolveSetting("w", "rotationPeriodDays", ENCRYPTION_KEY_SETTINGS.rotationPeriodDays, undefined)).toBe(365);
    expect(() => resolveSetting("w", "rotationDays", SECRETS_MANAGER_SECRET_SETTINGS.rotationDays, undefined)).toThrow("w: rotationDays is required");
  });

  test("an unresolved token passes: Terraform checks it", () => {
    const variable = new TerraformVariable(new TerraformStack(Testing.app(), "s"), "days", { type: "number" });
    const days = variable.numberValue;
    expect(resolveSetting("w", "retentionDays", LIFECYCLE_DAYS, days)).toBe(days);
  });

  test("allowed values are listed, with what they are", () => {
    expect(settingProblem(LOG_RETENTION, 100)).toBe(
      "100 is not a CloudWatch Logs retention value; use one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
    );
    expect(settingProblem(LOG_RETENTION, 3653)).toBeUndefined();
  });

  test("a text setting checks its pattern and its further rules", () => {
    expect(settingProblem(SSM_PARAMETER_NAME, "/a//b")).toBe(
      '"/a//b" is invalid; use letters, digits or "_.-" between single slashes, without a trailing slash, e.g. "/orders/db-password"',
    );
    expect(settingProblem(SSM_PARAMETER_NAME, `/${"a/".repeat(15)}b`)).toBe(`"/${"a/".repeat(15)}b" has 16 levels; SSM allows at most 15`);
    expect(settingProblem(SSM_PARAMETER_NAME, `/${"a/".repeat(14)}b`)).toBeUndefined();
    expect(settingProblem(ALIAS_NAME, "aws/lambda")).toBe('"aws/lambda" is reserved for AWS managed keys; choose a name that does not start with "aws/"');
    expect(settingProblem(ALIAS_NAME, 7)).toBe('expected a string, got 7; use alias names such as "payments-lambda-env"');
  });

  test("the alias address rule is the construct's: team/app and team-app cannot be aliases of one key", () => {
    expect(aliasConstructId("team/app")).toBe("alias-team-app");
    expect(aliasConstructId("alias/team-app")).toBe("alias-team-app");
    const stack = new TerraformStack(Testing.app(), "s");
    expect(() => new EncryptionKey(stack, "key", { accountId: "111111111111", region: "eu-west-1", aliases: ["team/app", "team-app"] })).toThrow(
      'encryption key "key": aliases "alias/team/app" and "alias/team-app" map to the same Terraform address "alias-team-app"; rename one of them',
    );
  });
});
