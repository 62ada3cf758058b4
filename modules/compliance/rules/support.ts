/**
 * Helpers shared by the rules: reading the resolved attributes of a resource
 * as they appear in cdk.tf.json (references are "${type.name.attr}" strings,
 * IAM policies are JSON strings, nested blocks are objects or arrays).
 */
import type { StackView, SynthesizedResource } from "../compliance-rule";

export type Json = unknown;

/** A value as an array: undefined → [], a single value → [value]. */
export function asArray(value: Json): readonly Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Nested blocks may synthesize as an object or as a one-element array; this returns the blocks as objects. */
export function blocks(value: Json): readonly Record<string, Json>[] {
  return asArray(value).filter((item): item is Record<string, Json> => typeof item === "object" && item !== null && !Array.isArray(item));
}

/** An aws provider of a stack: the account it is pinned to, its region and its default tags. */
export interface AwsProviderSettings {
  readonly accountId: string;
  readonly region: string;
  readonly defaultTags: Readonly<Record<string, string>>;
}

/**
 * A stack's aws providers by the name resources use (`aws`, `aws.<alias>`).
 * Throws, starting with `what`, for a provider without a literal region or
 * `allowed_account_ids`: ARNs cannot be built without them.
 */
export function readAwsProviders(stackJson: Readonly<Record<string, Json>>, what: string): Map<string, AwsProviderSettings> {
  const providers = new Map<string, AwsProviderSettings>();
  for (const provider of blocks((stackJson.provider as Record<string, Json> | undefined)?.aws)) {
    const accountId = asArray(provider.allowed_account_ids)[0];
    if (typeof provider.region !== "string" || typeof accountId !== "string") {
      throw new Error(`${what}: an aws provider lacks a literal region or allowed_account_ids; both are needed to build ARNs`);
    }
    const defaultTags = literalStrings(blocks(provider.default_tags)[0]?.tags);
    providers.set(typeof provider.alias === "string" ? `aws.${provider.alias}` : "aws", { accountId, region: provider.region, defaultTags });
  }
  return providers;
}

/** The literal string values of a map such as `tags` (references left out). */
export function literalStrings(value: Json): Record<string, string> {
  if (value === null || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string" && !entry[1].includes("${")));
}

/** A non-empty string, or undefined. */
export function nonEmptyString(value: Json): string | undefined {
  return typeof value === "string" && value.trim().length > 0 ? value : undefined;
}

/** Whether a Terraform value is true (booleans or the strings "true"/"false" the provider accepts). */
export function isTrue(value: Json): boolean {
  return value === true || value === "true";
}

export function isFalse(value: Json): boolean {
  return value === false || value === "false";
}

/** Every value stored under `key` anywhere inside `value` (depth-first). */
export function findValues(value: Json, key: string): Json[] {
  const found: Json[] = [];
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (typeof node === "object" && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (k === key) found.push(v);
        visit(v);
      }
    }
  };
  visit(value);
  return found;
}

/** The `type` and `name` of a whole-value reference such as "${aws_kms_key.key.arn}" (or "...}:*"). */
export function referencedResource(value: Json): { readonly type: string; readonly name: string } | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z0-9_]+\}/.exec(value);
  return match ? { type: match[1], name: match[2] } : undefined;
}

/**
 * Whether `value` points at `target`: a reference to it (any attribute) or,
 * when given, a literal equal to one of `literals` (e.g. the bucket's name).
 */
export function pointsAt(value: Json, target: SynthesizedResource, literals: readonly Json[] = []): boolean {
  const ref = referencedResource(value);
  if (ref) return ref.type === target.type && ref.name === target.name;
  return typeof value === "string" && literals.some((literal) => typeof literal === "string" && literal === value);
}

/** The resource that `value` references within the stack, or undefined. */
export function resolveReference(stack: StackView, value: Json, type: string): SynthesizedResource | undefined {
  const ref = referencedResource(value);
  if (!ref || ref.type !== type) return undefined;
  return stack.ofType(type).find((resource) => resource.name === ref.name);
}

/** One IAM policy statement, normalised: Action/Resource/Principal lists, Condition kept as is. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** Principals as "<type>:<identifier>", e.g. "AWS:*", "Service:lambda.amazonaws.com", or "*" for `Principal: "*"`. */
  readonly principals: readonly string[];
  readonly condition?: Readonly<Record<string, unknown>>;
}

/** Parsed policy: its statements, or `unreadable` with the reason. */
export type ParsedPolicy = { readonly statements: readonly PolicyStatement[] } | { readonly unreadable: string };

const strings = (value: Json): string[] => asArray(value).filter((item): item is string => typeof item === "string");

function principalsOf(principal: Json): string[] {
  if (principal === undefined) return [];
  if (typeof principal === "string") return [principal === "*" ? "*" : `AWS:${principal}`];
  if (typeof principal !== "object" || principal === null) return [];
  return Object.entries(principal).flatMap(([type, ids]) => strings(ids).map((id) => `${type}:${id}`));
}

function statementFromJson(raw: Record<string, Json>): PolicyStatement {
  const condition = raw.Condition;
  return {
    sid: typeof raw.Sid === "string" ? raw.Sid : undefined,
    effect: typeof raw.Effect === "string" ? raw.Effect : "",
    actions: strings(raw.Action),
    notActions: strings(raw.NotAction),
    resources: strings(raw.Resource),
    notResources: strings(raw.NotResource),
    principals: principalsOf(raw.Principal),
    condition: typeof condition === "object" && condition !== null && Object.keys(condition).length > 0 ? (condition as Record<string, unknown>) : undefined,
  };
}

/** A statement of an `aws_iam_policy_document` data source (snake_case blocks), as IAM JSON. */
function jsonFromDocumentStatement(raw: Record<string, Json>): Record<string, Json> {
  const json: Record<string, Json> = { Effect: typeof raw.effect === "string" ? raw.effect : "Allow" };
  if (typeof raw.sid === "string") json.Sid = raw.sid;
  const principals: Record<string, string[]> = {};
  for (const block of blocks(raw.principals)) {
    if (block.type === "*" && strings(block.identifiers).includes("*")) json.Principal = "*";
    else principals[String(block.type)] = [...(principals[String(block.type)] ?? []), ...strings(block.identifiers)];
  }
  if (json.Principal === undefined && Object.keys(principals).length > 0) json.Principal = principals;
  for (const [key, attribute] of [
    ["Action", "actions"],
    ["NotAction", "not_actions"],
    ["Resource", "resources"],
    ["NotResource", "not_resources"],
  ]) {
    if (raw[attribute] !== undefined) json[key] = strings(raw[attribute]);
  }
  const condition: Record<string, Record<string, unknown>> = {};
  for (const block of blocks(raw.condition)) {
    const test = String(block.test);
    condition[test] = { ...(condition[test] ?? {}), [String(block.variable)]: block.values };
  }
  if (Object.keys(condition).length > 0) json.Condition = condition;
  return json;
}

/**
 * Reads a policy attribute: a JSON string, or a reference to an
 * `aws_iam_policy_document` data source of the same stack. Anything else
 * (a variable, `jsonencode(...)`, a document from another stack) cannot be
 * read at synth time and is reported as `unreadable`.
 */
export function parsePolicy(stack: Pick<StackView, "json">, policy: Json): ParsedPolicy {
  const read = readPolicyDocument(stack, policy);
  return "unreadable" in read ? read : { statements: policyStatements(read.document) };
}

/** The statements of an IAM JSON policy document, normalised. */
export function policyStatements(document: Readonly<Record<string, Json>>): PolicyStatement[] {
  return blocks(document.Statement).map(statementFromJson);
}

/**
 * Reads a policy attribute as an IAM JSON document, from the same forms as
 * {@link parsePolicy}: a data source's statements are turned into IAM JSON.
 * References inside it are left as they are.
 */
export function readPolicyDocument(stack: Pick<StackView, "json">, policy: Json): { readonly document: Record<string, Json> } | { readonly unreadable: string } {
  if (typeof policy === "object" && policy !== null) return documentObject(policy);
  if (typeof policy !== "string") return { unreadable: "the policy is missing" };
  const dataRef = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(policy.trim());
  if (dataRef) {
    const data = (stack.json.data as Record<string, Record<string, Record<string, Json>>> | undefined)?.aws_iam_policy_document?.[dataRef[1]];
    if (!data) return { unreadable: `the policy document data.aws_iam_policy_document.${dataRef[1]} is not in this stack` };
    if (data.source_policy_documents !== undefined || data.override_policy_documents !== undefined) {
      return { unreadable: `the policy document data.aws_iam_policy_document.${dataRef[1]} merges other documents` };
    }
    return { document: { Version: "2012-10-17", Statement: blocks(data.statement).map(jsonFromDocumentStatement) } };
  }
  try {
    return documentObject(JSON.parse(policy));
  } catch {
    return { unreadable: "the policy is not a JSON document (a Terraform expression that is only known at apply time)" };
  }
}

function documentObject(document: Json): { readonly document: Record<string, Json> } | { readonly unreadable: string } {
  if (typeof document !== "object" || document === null || Array.isArray(document)) return { unreadable: "the policy is not a JSON object" };
  return { document: document as Record<string, Json> };
}

/** IAM wildcard match (`*` and `?`), case-insensitive as IAM action names are. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return regex.test(action);
}

/** A short label for a statement in messages: its Sid or its position. */
export function statementLabel(statement: PolicyStatement, index: number): string {
  return statement.sid ? `statement "${statement.sid}"` : `statement ${index + 1}`;
}
