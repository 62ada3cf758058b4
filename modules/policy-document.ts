import { Lazy, Token } from "cdktf";
import { ACCOUNT_ID_PATTERN } from "./private/aws-limits";
import { show } from "./private/setting";

/** Principals of a resource-policy statement (key policies, trust policies). */
export interface PolicyPrincipals {
  /** IAM principals: account root, role or user ARNs. @default none */
  readonly AWS?: readonly string[];
  /** AWS service principals such as `lambda.amazonaws.com`. @default none */
  readonly Service?: readonly string[];
  /** Identity providers (an IAM OIDC provider ARN) for web-identity federation. @default none */
  readonly Federated?: readonly string[];
}

/**
 * Conditions as IAM writes them: operator → condition key → value(s).
 * Example: `{ StringEquals: { "kms:ViaService": "lambda.eu-west-1.amazonaws.com" } }`.
 */
export type PolicyConditions = Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;

/** Props of {@link PolicyStatement}. */
export interface PolicyStatementProps {
  /** Statement ID; letters and digits only (IAM and KMS reject other characters). @default none */
  readonly sid?: string;
  /** @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  /** Actions in `service:Action` form; wildcards inside the action name are allowed. */
  readonly actions: readonly string[];
  /**
   * Resource ARNs. Key policies use `"*"`, which means "this key". Trust
   * policies have none (IAM rejects a `Resource` there).
   * @default none; required for identity policies (statements without principals)
   */
  readonly resources?: readonly string[];
  /**
   * Only for resource policies (key policies, trust policies). Refused: a
   * wildcard inside a principal (`arn:aws:iam::*:root`), a wildcard service
   * principal, and `AWS: ["*"]` in an `Allow` unless a condition restricts
   * the caller: `StringEquals`, `StringEqualsIgnoreCase` or `StringLike`
   * (also `ArnEquals`/`ArnLike` for the ARN keys) on `aws:PrincipalAccount`,
   * `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalArn`,
   * `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID`,
   * `aws:SourceOrgPaths` or `kms:CallerAccount`, whose values are account
   * IDs, organization IDs or paths, or ARNs with a literal account (not
   * `IfExists`, negated or `ForAllValues:`/`ForAnyValue:` operators).
   * @default none
   */
  readonly principals?: PolicyPrincipals;
  /** @default none */
  readonly conditions?: PolicyConditions;
}

const ACTION_PATTERN = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
const SID_PATTERN = /^[A-Za-z0-9]*$/;

/**
 * One IAM policy statement. Typed, so that tests and compliance rules can read
 * policies without parsing hand-written JSON strings.
 */
export class PolicyStatement {
  /** Statement ID; none when not given. */
  public readonly sid?: string;
  /** `"Allow"` or `"Deny"`. */
  public readonly effect: "Allow" | "Deny";
  /** The actions, each once. */
  public readonly actions: readonly string[];
  /** The resource ARNs, each once; empty for a trust policy. */
  public readonly resources: readonly string[];
  /** The principals of a resource-policy statement; none in an identity policy. */
  public readonly principals?: PolicyPrincipals;
  /** The conditions; none when not given or empty. */
  public readonly conditions?: PolicyConditions;

  constructor(props: PolicyStatementProps) {
    if (props.sid !== undefined && !SID_PATTERN.test(props.sid)) {
      throw new Error(`policy statement sid "${props.sid}" is invalid: use letters and digits only`);
    }
    if (props.principals && !props.principals.AWS?.length && !props.principals.Service?.length && !props.principals.Federated?.length) {
      throw new Error(`policy statement ${props.sid ?? ""} has an empty principal list: name at least one AWS, Service or Federated principal, or leave principals out`);
    }
    if (props.actions.length === 0) {
      throw new Error(`policy statement ${props.sid ?? ""} has no actions: list at least one "service:Action"`);
    }
    for (const action of props.actions) {
      if (!Token.isUnresolved(action) && !ACTION_PATTERN.test(action)) {
        throw new Error(`policy action "${action}" is invalid: write it as "service:Action", e.g. "kms:Decrypt"`);
      }
    }
    if (!props.principals && (props.resources ?? []).length === 0) {
      throw new Error(`policy statement ${props.sid ?? ""} has no resources: name the exact ARNs it applies to`);
    }
    for (const [operator, keys] of Object.entries(props.conditions ?? {})) {
      if (Object.keys(keys).length === 0) {
        throw new Error(`policy statement ${props.sid ?? ""}: condition operator "${operator}" has no keys; add a condition key or remove the operator`);
      }
    }
    const conditions = props.conditions && Object.keys(props.conditions).length > 0 ? props.conditions : undefined;
    checkPrincipals(props.sid ?? "", props.effect ?? "Allow", props.principals, conditions);
    this.sid = props.sid;
    this.effect = props.effect ?? "Allow";
    this.actions = unique(props.actions);
    this.resources = unique(props.resources ?? []);
    this.principals = props.principals;
    this.conditions = conditions;
  }

  /** The statement as IAM JSON (tokens left in place; cdktf resolves them). */
  public toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    if (this.sid) json.Sid = this.sid;
    json.Effect = this.effect;
    if (this.principals) {
      const principal: Record<string, string[]> = {};
      if (this.principals.AWS?.length) principal.AWS = unique(this.principals.AWS);
      if (this.principals.Service?.length) principal.Service = unique(this.principals.Service);
      if (this.principals.Federated?.length) principal.Federated = unique(this.principals.Federated);
      json.Principal = principal;
    }
    json.Action = [...this.actions];
    if (this.resources.length > 0) json.Resource = [...this.resources];
    if (this.conditions) json.Condition = this.conditions;
    return json;
  }
}

/**
 * A policy document whose statements may still be added after it was handed to
 * a resource: `toJsonString()` returns a lazy token rendered at synth time.
 */
export class PolicyDocument {
  private readonly statementList: PolicyStatement[] = [];

  constructor(statements: readonly PolicyStatement[] = []) {
    this.addStatements(...statements);
  }

  /** The statements, in the order they were added. */
  public get statements(): readonly PolicyStatement[] {
    return this.statementList;
  }

  /** Adds statements; throws when one has the `sid` of a statement already in the document. */
  public addStatements(...statements: PolicyStatement[]): void {
    for (const statement of statements) {
      if (statement.sid && this.statementList.some((s) => s.sid === statement.sid)) {
        throw new Error(`policy already has a statement with sid "${statement.sid}": give each statement its own sid`);
      }
      this.statementList.push(statement);
    }
  }

  /** The document as IAM JSON (tokens left in place; cdktf resolves them). */
  public toJSON(): Record<string, unknown> {
    return { Version: "2012-10-17", Statement: this.statementList.map((s) => s.toJSON()) };
  }

  /** A token that renders the document as a JSON string when the stack is synthesized. */
  public toJsonString(): string {
    return Lazy.stringValue({ produce: () => JSON.stringify(this.toJSON()) });
  }
}

/**
 * The condition keys that name the caller's account, organization or ARN:
 * an `Allow` for the principal `"*"` must be narrowed by one of them
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account),
 * with what each value must be. Keys are compared in lower case: IAM
 * condition key names are case-insensitive.
 */
const CALLER_CONDITION_KEYS: ReadonlyMap<string, { readonly name: string; readonly arn: boolean; readonly value: (value: string) => boolean; readonly expected: string }> = new Map(
  [
    ...["aws:PrincipalAccount", "aws:SourceAccount", "kms:CallerAccount"].map((name) => ({ name, arn: false, value: isAccountId, expected: "a 12-digit account ID" })),
    ...["aws:PrincipalOrgID", "aws:SourceOrgID"].map((name) => ({ name, arn: false, value: isOrganizationId, expected: 'an organization ID such as "o-a1b2c3d4e5"' })),
    ...["aws:PrincipalOrgPaths", "aws:SourceOrgPaths"].map((name) => ({
      name,
      arn: false,
      value: isOrganizationPath,
      expected: 'a path that starts with the organization ID, e.g. "o-a1b2c3d4e5/r-ab12/*"',
    })),
    ...["aws:PrincipalArn", "aws:SourceArn"].map((name) => ({ name, arn: true, value: isArnInAccount, expected: "an ARN with a literal 12-digit account ID" })),
  ].map((key) => [key.name.toLowerCase(), key] as const),
);

/**
 * The operators with which a caller condition narrows `"*"`: exact or
 * pattern matches. Not their `IfExists` forms (true when the request lacks
 * the key), not the negated operators (true for every other caller, and
 * when the key is missing), and not `ForAllValues:`/`ForAnyValue:` (set
 * operators, for multivalued keys only; `ForAllValues` is true when the key
 * is missing)
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html).
 * ARN operators only count with the ARN keys.
 */
const STRING_MATCH_OPERATORS = ["StringEquals", "StringEqualsIgnoreCase", "StringLike"];
const ARN_MATCH_OPERATORS = ["ArnEquals", "ArnLike"];

/** What an `Allow` for `"*"` needs, for messages. */
const CALLER_CONDITION_FIX =
  'add a condition that names your account or organization, e.g. { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } or { StringEquals: { "kms:CallerAccount": "111111111111" } } (StringEquals, StringEqualsIgnoreCase or StringLike on aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceAccount, aws:SourceOrgID, aws:SourceOrgPaths or kms:CallerAccount, or on aws:PrincipalArn or aws:SourceArn also ArnEquals or ArnLike; no IfExists, negated or set operators), or name the principals instead of "*"';

/**
 * Refuses principals IAM does not accept or that open the resource to
 * everyone (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
 * - a wildcard inside an AWS principal (`arn:aws:iam::*:root`): IAM matches
 *   `*` only as the whole principal, never part of a name or ARN;
 * - a wildcard in a service principal: a service principal names one
 *   service (`logs.eu-west-1.amazonaws.com`); there is no "all services";
 * - `"*"` in an `Allow` without a condition that restricts the caller (see
 *   {@link callerConditionProblem}): an Allow for `"*"` lets every identity in
 *   every AWS account in (https://docs.aws.amazon.com/kms/latest/developerguide/determining-access-key-policy.html).
 *   A `Deny` for `"*"` needs no condition.
 */
function checkPrincipals(sid: string, effect: "Allow" | "Deny", principals: PolicyPrincipals | undefined, conditions: PolicyConditions | undefined): void {
  const literal = (values: readonly string[] | undefined) => (values ?? []).filter((value) => !Token.isUnresolved(value));
  const partial = literal(principals?.AWS).find((principal) => principal !== "*" && /[*?]/.test(principal));
  if (partial !== undefined) {
    throw new Error(
      `policy statement ${sid}: AWS principal ${show(partial)} has a wildcard inside it, which IAM does not match; name each principal exactly, or use "*" with a condition such as { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::111111111111:role/team-*" } }`,
    );
  }
  const service = literal(principals?.Service).find((principal) => /[*?]/.test(principal));
  if (service !== undefined) {
    throw new Error(`policy statement ${sid}: Service principal ${show(service)} is a wildcard, which IAM does not support; name the service, e.g. "logs.eu-west-1.amazonaws.com"`);
  }
  if (effect !== "Allow" || !literal(principals?.AWS).includes("*")) return;
  if (!conditions) {
    throw new Error(`policy statement ${sid} allows the principal "*" without a condition; ${CALLER_CONDITION_FIX}`);
  }
  const problem = callerConditionProblem(conditions);
  if (problem) throw new Error(`policy statement ${sid} allows the principal "*", but no condition restricts the caller (${problem}); ${CALLER_CONDITION_FIX}`);
}

/**
 * Why `conditions` do not restrict the caller of an `Allow` for `"*"`, or
 * undefined when one of them does: an operator of
 * {@link STRING_MATCH_OPERATORS} (or, for an ARN key,
 * {@link ARN_MATCH_OPERATORS}) on a key of {@link CALLER_CONDITION_KEYS},
 * whose every value is what the key holds (an account ID, an organization
 * ID or path, an ARN with a literal account) and not a wildcard. Conditions
 * are ANDed, so one such condition is enough; the values of one condition
 * are ORed, so a single wildcard value opens it. Token values pass
 * (Terraform resolves them, typically to an account ID).
 */
function callerConditionProblem(conditions: PolicyConditions): string | undefined {
  const reasons: string[] = [];
  for (const [operator, keys] of Object.entries(conditions)) {
    for (const [key, value] of Object.entries(keys)) {
      const reason = callerKeyProblem(operator, key, value);
      if (reason === undefined) return undefined;
      reasons.push(reason);
    }
  }
  return reasons.slice(0, 3).join("; ") + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : "");
}

function callerKeyProblem(operator: string, key: string, value: string | boolean | readonly string[]): string | undefined {
  const what = `${operator} ${show(key)}`;
  const spec = CALLER_CONDITION_KEYS.get(key.toLowerCase());
  if (spec === undefined) return `${what}: not a key that names the caller`;
  if (/IfExists$/.test(operator)) return `${what}: IfExists is true when the request lacks the key`;
  if (/^For(All|Any)Values:/.test(operator)) return `${what}: a set operator, for multivalued keys only`;
  if (/Not/.test(operator)) return `${what}: a negated operator matches every other caller`;
  if (!STRING_MATCH_OPERATORS.includes(operator) && !(spec.arn && ARN_MATCH_OPERATORS.includes(operator))) return `${what}: not an equality or pattern match for this key`;
  const values = typeof value === "string" ? [value] : Array.isArray(value) ? (value as readonly string[]) : undefined;
  if (values === undefined || values.length === 0) return `${what}: no value`;
  const bad = values.find((v) => typeof v !== "string" || (!Token.isUnresolved(v) && !spec.value(v)));
  return bad === undefined ? undefined : `${what}: ${show(bad)} is not ${spec.expected}`;
}

function isAccountId(value: string): boolean {
  return ACCOUNT_ID_PATTERN.test(value);
}

function isOrganizationId(value: string): boolean {
  return /^o-[a-z0-9]{10,32}$/.test(value);
}

function isOrganizationPath(value: string): boolean {
  return /^o-[a-z0-9]{10,32}\//.test(value);
}

/** `arn:<partition>:<service>:<region>:<12-digit account>:<resource>`; wildcards only outside the account. */
function isArnInAccount(value: string): boolean {
  const parts = value.split(":");
  return parts.length >= 6 && parts[0] === "arn" && isAccountId(parts[4]);
}

/** `text` in PascalCase, letters and digits only: a statement ID part (IAM and KMS accept no other characters). */
export function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * The resource-policy statement that refuses `actions` on `resources` to
 * everyone when the request is made without TLS (`aws:SecureTransport`),
 * whatever else the policy allows: buckets, topics and queues use it.
 */
export function denyWithoutTls(actions: readonly string[], resources: readonly string[]): PolicyStatement {
  return new PolicyStatement({
    sid: "DenyInsecureTransport",
    effect: "Deny",
    principals: { AWS: ["*"] },
    actions,
    resources,
    conditions: { Bool: { "aws:SecureTransport": "false" } },
  });
}
