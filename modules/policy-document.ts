import { Lazy, Token } from "cdktf";

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
  /** Only for resource policies (key policies, trust policies). @default none */
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
    // "Principal": "*" (or an ARN with a wildcard) opens a resource to every AWS account; only a condition can narrow it.
    const wildcard = props.principals?.AWS?.find((principal) => !Token.isUnresolved(principal) && principal.includes("*"));
    if (wildcard !== undefined && (props.effect ?? "Allow") === "Allow" && !conditions) {
      throw new Error(
        `policy statement ${props.sid ?? ""} allows the principal "${wildcard}" without a condition; name the principals, or add a condition such as kms:CallerAccount or aws:PrincipalOrgID`,
      );
    }
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
