import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { stackView } from "./compliance/stack-view";
import { DeployerPolicyDocument, deployerPolicyDocument } from "./deployer-policy-document";
import { PolicyDocument, PolicyStatement } from "./policy-document";

/** Props of {@link DeployerPolicy}. */
export interface DeployerPolicyProps {
  /**
   * The stacks the pipeline deploys (one account's). Build the policy after
   * they are complete: it is derived from what they synthesize to at that
   * moment.
   */
  readonly stacks: readonly TerraformStack[];
  /** Name of the managed policy; `<policyName>-2`, `-3`, ... when it must be split. */
  readonly policyName: string;
  /** Statements added to the generated ones. @default none */
  readonly additionalStatements?: readonly PolicyStatement[];
  /** @default "Deploys the stacks of this app (generated from their resources)" */
  readonly description?: string;
  /** @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** IAM limits a managed policy document to 6,144 characters, whitespace excluded (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;
/** The default quota of managed policies attached to one role (same page). */
export const MANAGED_POLICIES_PER_ROLE = 10;

/**
 * The least-privilege policy of a deploy pipeline for `stacks`, as IAM
 * managed policies (see `deployerPolicyDocument` for what it allows). A
 * policy over IAM's size limit is split into several, each under it;
 * attach all of `policies` to the pipeline's role.
 */
export class DeployerPolicy extends Construct {
  /** The generated statements, the unscoped actions with their reasons, and the warnings. */
  public readonly document: DeployerPolicyDocument;
  /** The managed policies, in order. */
  public readonly policies: readonly IamPolicy[];

  constructor(scope: Construct, id: string, props: DeployerPolicyProps) {
    super(scope, id);
    this.document = deployerPolicyDocument(props.stacks.map(stackView));
    const parts = splitIntoPolicies([...this.document.statements, ...(props.additionalStatements ?? [])]);
    if (parts.length > MANAGED_POLICIES_PER_ROLE) {
      throw new Error(
        `deployer policy "${props.policyName}": the stacks need ${parts.length} managed policies of ${MANAGED_POLICY_MAX_CHARACTERS} characters, more than the ${MANAGED_POLICIES_PER_ROLE} a role may have attached by default; deploy fewer stacks per pipeline role, or raise the IAM quota and attach the JSON of deployer-policy-<account>.json yourself`,
      );
    }
    this.policies = parts.map(
      (statements, i) =>
        new IamPolicy(this, i === 0 ? "policy" : `policy-${i + 1}`, {
          name: i === 0 ? props.policyName : `${props.policyName}-${i + 1}`,
          description: props.description ?? "Deploys the stacks of this app (generated from their resources)",
          policy: JSON.stringify(new PolicyDocument(statements).toJSON()),
          tags: props.tags ? { ...props.tags } : undefined,
        }),
    );
  }

  /** The ARNs of `policies`. */
  public get policyArns(): string[] {
    return this.policies.map((policy) => policy.arn);
  }
}

/**
 * Packs statements, in order, into as few documents under the size limit as
 * possible; a statement that does not fit is cut by its resources, the first
 * piece filling the current document.
 */
function splitIntoPolicies(statements: readonly PolicyStatement[]): PolicyStatement[][] {
  const fits = (list: readonly PolicyStatement[]) => JSON.stringify(new PolicyDocument(list).toJSON()).length <= MANAGED_POLICY_MAX_CHARACTERS;
  const parts: PolicyStatement[][] = [[]];
  for (const statement of statements) {
    let rest = statement.resources;
    for (let piece = 1; rest.length > 0; piece++) {
      const current = parts[parts.length - 1];
      const cut = (count: number) =>
        new PolicyStatement({
          sid: count === statement.resources.length ? statement.sid : `${statement.sid ?? ""}Part${piece}`,
          actions: statement.actions,
          resources: rest.slice(0, count),
          conditions: statement.conditions,
        });
      let count = rest.length;
      while (count > 0 && !fits([...current, cut(count)])) count--;
      if (count === 0) {
        if (current.length === 0)
          throw new Error(`deployer policy: statement ${statement.sid ?? ""} with one resource alone is over IAM's ${MANAGED_POLICY_MAX_CHARACTERS}-character limit`);
        parts.push([]);
        continue;
      }
      current.push(cut(count));
      rest = rest.slice(count);
      if (rest.length > 0) parts.push([]);
    }
  }
  return parts.filter((part) => part.length > 0);
}
