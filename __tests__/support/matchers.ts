/**
 * The jest matchers of the construct tests.
 *
 * cdktf's matchers (toHaveResource, toHaveResourceWithProperties,
 * toHaveDataSource…, toHaveProvider…, toBeValidTerraform, toPlanSuccessfully)
 * are registered for the whole suite by Testing.setupJest() in
 * __tests__/setup.ts, which also loads this file.
 *
 * toHaveResourceWithProperties passes when *some* resource of the type
 * *contains* the given attributes: an attribute left out is not checked at
 * all, and a policy is a JSON string compared as text. For security-critical
 * attributes (key, IAM, bucket and topic policies, encryption settings,
 * kms_key_arn, enable_key_rotation, prevent_destroy, public access block
 * flags …) use toHaveResourceWithExactly: it picks exactly one resource and
 * requires every listed attribute to be exactly the expected value.
 *
 *     expect(synthesized).toHaveResourceWithExactly(KmsKey, {
 *       enable_key_rotation: true,
 *       policy: { Version: "2012-10-17", Statement: [ … every statement … ] },
 *     });
 */
// The types of cdktf's matchers (jest.Matchers): Testing.setupJest() registers them at runtime.
import "cdktf/lib/testing/adapters/jest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, Testing } from "cdktf";

type Json = Record<string, unknown>;

/** A provider resource class (KmsKey, IamRolePolicy, …): what the cdktf matchers take too. */
export interface TerraformResourceType {
  readonly tfResourceType: string;
}

/** Expected value of an attribute that the resource must not have at all. */
export const ABSENT: unique symbol = Symbol("absent");

/** Attribute name (as synthesized, snake_case) → exact expected value, or {@link ABSENT}. */
export type ExactAttributes = Record<string, unknown>;

/** Which resource of the type to check: its Terraform logical ID, a pattern on it, or a predicate over its attributes. */
export type ResourceSelector = string | RegExp | ((attributes: Json, logicalId: string) => boolean);

export interface ExactlyOptions {
  /** Picks the resource. Without it, the stack must have exactly one resource of the type. */
  readonly select?: ResourceSelector;
  /** Check every selected resource (at least one) instead of requiring exactly one. */
  readonly each?: boolean;
  /** The listed attributes are all the resource has: any other attribute fails, named. */
  readonly exhaustive?: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /**
       * The synthesized stack (Testing.synth() JSON, a cdk.tf.json path, or the parsed object) has
       * exactly one resource of `resourceType` (or one picked by `options.select`), and each listed
       * attribute equals the expected value exactly: deep, strict equality; a JSON string (a policy)
       * is parsed and compared as an object when the expected value is an object or an array.
       * Asymmetric matchers (expect.stringMatching …) are honoured where given. A mismatch names
       * the attribute. `.not` is refused: assert the exact value instead.
       */
      toHaveResourceWithExactly(resourceType: TerraformResourceType, attributes: ExactAttributes, options?: ExactlyOptions): R;
    }
  }
}

function parseSynthesized(received: unknown): Json {
  if (typeof received === "string") {
    const text = fs.existsSync(received) ? fs.readFileSync(received, "utf8") : received;
    return JSON.parse(text) as Json;
  }
  if (received !== null && typeof received === "object") return received as Json;
  throw new Error(`toHaveResourceWithExactly: expected the synthesized stack (a JSON string, a cdk.tf.json path or its parsed object), got ${typeof received}`);
}

/** Every resource of the type in the synthesized stack, as [logical ID, attributes]. */
export function resourcesOf(synthesized: unknown, resourceType: TerraformResourceType): [string, Json][] {
  const resources = (parseSynthesized(synthesized).resource ?? {}) as Record<string, Record<string, Json>>;
  return Object.entries(resources[resourceType.tfResourceType] ?? {});
}

function matches(select: ResourceSelector, logicalId: string, attributes: Json): boolean {
  if (typeof select === "string") return logicalId === select;
  if (select instanceof RegExp) return select.test(logicalId);
  return select(attributes, logicalId);
}

type Selection = { ok: true; picked: [string, Json][] } | { ok: false; problem: string };

function selectResources(synthesized: unknown, resourceType: TerraformResourceType, options: ExactlyOptions): Selection {
  const type = resourceType.tfResourceType;
  const all = resourcesOf(synthesized, resourceType);
  if (all.length === 0) return { ok: false, problem: `the stack has no ${type} resource` };
  const picked = options.select === undefined ? all : all.filter(([id, attributes]) => matches(options.select as ResourceSelector, id, attributes));
  const ids = all.map(([id]) => id).join(", ");
  if (picked.length === 0) return { ok: false, problem: `no ${type} resource matches the selector; the stack has ${ids}` };
  if (picked.length > 1 && !options.each) {
    return {
      ok: false,
      problem: `${picked.length} ${type} resources match (${picked.map(([id]) => id).join(", ")}); pick one with { select } or check them all with { each: true }`,
    };
  }
  return { ok: true, picked };
}

/**
 * The one resource of the type (or the one `select` picks) as [logical ID, attributes];
 * throws naming the resources found when there is none or more than one.
 */
export function onlyResourceOf(synthesized: unknown, resourceType: TerraformResourceType, select?: ResourceSelector): [string, Json] {
  const selection = selectResources(synthesized, resourceType, { select });
  if (!selection.ok) throw new Error(selection.problem);
  return selection.picked[0];
}

/** A Terraform reference to an attribute of the one resource of the type, e.g. "${aws_kms_key.key_1A2B3C4D.arn}". */
export function referenceTo(synthesized: unknown, resourceType: TerraformResourceType, attribute: string, select?: ResourceSelector): string {
  return `\${${resourceType.tfResourceType}.${onlyResourceOf(synthesized, resourceType, select)[0]}.${attribute}}`;
}

function isAsymmetric(value: unknown): boolean {
  return value !== null && typeof value === "object" && typeof (value as { asymmetricMatch?: unknown }).asymmetricMatch === "function";
}

function isPlainObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !isAsymmetric(value);
}

/**
 * `actual` with every JSON string parsed where `expected` has an object or an
 * array, so that a policy compares as a document rather than as text.
 */
function parseJsonWhereExpected(actual: unknown, expected: unknown): unknown {
  if (isAsymmetric(expected)) return actual;
  let value = actual;
  if (typeof value === "string" && expected !== null && typeof expected === "object") {
    try {
      value = JSON.parse(value);
    } catch {
      return actual;
    }
  }
  if (Array.isArray(value) && Array.isArray(expected)) return value.map((item, i) => (i < expected.length ? parseJsonWhereExpected(item, expected[i]) : item));
  if (isPlainObject(value) && isPlainObject(expected)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key in expected ? parseJsonWhereExpected(item, expected[key]) : item]));
  }
  return value;
}

function toHaveResourceWithExactly(
  this: jest.MatcherContext,
  received: unknown,
  resourceType: TerraformResourceType,
  attributes: ExactAttributes,
  options: ExactlyOptions = {},
): jest.CustomMatcherResult {
  const hint = this.utils.matcherHint("toHaveResourceWithExactly", "synthesized", resourceType.tfResourceType, { isNot: this.isNot });
  if (this.isNot) {
    throw new Error(`${hint}\n\n.not is not supported: a resource that differs in any way would pass. Assert the exact value you expect instead.`);
  }
  if (resourceType === undefined || typeof resourceType.tfResourceType !== "string") {
    throw new Error(`${hint}\n\nthe first argument must be a provider resource class, e.g. KmsKey from @cdktf/provider-aws/lib/kms-key`);
  }
  const names = Object.keys(attributes);
  if (names.length === 0) throw new Error(`${hint}\n\nlist at least one attribute to compare`);
  for (const name of names) {
    if (attributes[name] === undefined) {
      throw new Error(`${hint}\n\nattribute "${name}": the expected value is undefined; use ABSENT to assert that the attribute is not set`);
    }
  }

  const selection = selectResources(received, resourceType, options);
  if (!selection.ok) return { pass: false, message: () => `${hint}\n\n${selection.problem}` };

  const problems: string[] = [];
  for (const [logicalId, actual] of selection.picked) {
    const where = `${resourceType.tfResourceType}.${logicalId}`;
    for (const name of names) {
      const expected = attributes[name];
      const present = Object.prototype.hasOwnProperty.call(actual, name);
      if (expected === ABSENT) {
        if (present) problems.push(`${where}: attribute "${name}" should be absent, but is ${this.utils.printReceived(actual[name])}`);
        continue;
      }
      if (!present) {
        problems.push(`${where}: attribute "${name}" is missing; expected ${this.utils.printExpected(expected)}`);
        continue;
      }
      const value = parseJsonWhereExpected(actual[name], expected);
      if (!this.equals(value, expected, [...this.customTesters], true)) {
        const diff = this.utils.printDiffOrStringify(expected, value, "Expected", "Received", this.expand !== false);
        problems.push(`${where}: attribute "${name}" differs\n${diff}`);
      }
    }
    if (options.exhaustive) {
      const extra = Object.keys(actual).filter((name) => !names.includes(name));
      for (const name of extra) problems.push(`${where}: attribute "${name}" is not expected, but is ${this.utils.printReceived(actual[name])}`);
    }
  }
  return {
    pass: problems.length === 0,
    message: () => `${hint}\n\n${problems.join("\n\n")}`,
  };
}

/** Registers toHaveResourceWithExactly (__tests__/setup.ts calls this once per test file). */
export function registerExactMatchers(): void {
  expect.extend({ toHaveResourceWithExactly });
}

/**
 * For `expect(terraform.fullSynth(stack)).toBeValidTerraform()`: cdktf's
 * matcher runs `terraform init` and `validate` with this process's
 * environment, so while the test file runs, Terraform installs providers
 * only from the offline filesystem mirror (see tooling/offline-terraform.ts;
 * it fails, never skips, when Terraform or the mirror is missing). The
 * folders fullSynth writes are removed after the file's tests.
 */
export function offlineTerraform(): { fullSynth(stack: TerraformStack): string } {
  const dirs: string[] = [];
  const saved: Record<string, string | undefined> = {};
  const set = (name: string, value: string | undefined) => {
    if (!(name in saved)) saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  beforeAll(async () => {
    // Loaded here, not at the top: every test file loads this module through __tests__/setup.ts.
    const { requireTerraform } = await import("../../tooling/stack-check");
    const { writeOfflineCliConfig } = await import("../../tooling/offline-terraform");
    requireTerraform();
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "offline-terraform-"));
    dirs.push(configDir);
    set("TF_CLI_CONFIG_FILE", writeOfflineCliConfig(configDir));
    set("CHECKPOINT_DISABLE", "1");
    set("TF_IN_AUTOMATION", "1");
    set("TF_INPUT", "0");
    for (const name of Object.keys(process.env)) if (name.startsWith("TF_CLI_ARGS") || name === "TF_DATA_DIR" || name === "TF_WORKSPACE") set(name, undefined);
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    fullSynth(stack: TerraformStack): string {
      const outdir = Testing.fullSynth(stack);
      dirs.push(outdir);
      return outdir;
    },
  };
}
