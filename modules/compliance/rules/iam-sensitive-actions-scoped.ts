import type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "../compliance-rule";
import { blocks, parsePolicy, statementLabel } from "./support";

const SENSITIVE_SERVICES = ["kms:", "secretsmanager:", "ssm:"];

/**
 * Actions of these services that support no resource-level permissions: IAM
 * accepts them only with Resource "*", so they are not findings (as in checkov CKV_AWS_355).
 */
const RESOURCELESS_ACTIONS = new Set(
  [
    "kms:CreateKey",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:GenerateRandom",
    "kms:ConnectCustomKeyStore",
    "kms:CreateCustomKeyStore",
    "kms:DeleteCustomKeyStore",
    "kms:DescribeCustomKeyStores",
    "kms:DisconnectCustomKeyStore",
    "kms:UpdateCustomKeyStore",
    "kms:ListRetirableGrants",
    "secretsmanager:ListSecrets",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:BatchGetSecretValue",
    "ssm:DescribeParameters",
    "ssm:DescribeDocumentParameters",
  ].map((action) => action.toLowerCase()),
);

function sensitive(action: string): boolean {
  const lower = action.toLowerCase();
  if (lower === "*") return true;
  return SENSITIVE_SERVICES.some((prefix) => lower.startsWith(prefix)) && !RESOURCELESS_ACTIONS.has(lower);
}

/**
 * Whether a Resource entry is as broad as "*": "*" itself, or an ARN whose
 * resource part (after the service, Region and account) is only wildcards and
 * a resource-type prefix, e.g. arn:aws:kms:*:*:key/* or arn:aws:secretsmanager:*:*:secret:*.
 */
function broadResource(resource: string): boolean {
  if (/^\*+$/.test(resource)) return true;
  const parts = resource.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return false;
  const resourcePart = parts.slice(5).join(":");
  // Drop an optional resource-type prefix ("key/", "secret:", "parameter/", "alias/"), then only wildcards may remain.
  const rest = resourcePart.replace(/^[A-Za-z0-9-]+[/:]/, "");
  return /^[*?/]*\*[*?/]*$/.test(rest) || /^\*+$/.test(resourcePart);
}

/**
 * Whether a statement is narrowed by the tags of the resource or the request
 * (`aws:ResourceTag/<key>` or `aws:RequestTag/<key>` in an equality
 * condition): attribute-based access control, AWS's way to scope keys whose
 * ARNs are unknown before they exist (https://docs.aws.amazon.com/kms/latest/developerguide/abac.html).
 */
function scopedByTags(condition: Readonly<Record<string, unknown>> | undefined): boolean {
  const equals = condition?.StringEquals;
  return typeof equals === "object" && equals !== null && Object.keys(equals).some((key) => /^aws:(Resource|Request)Tag\/./.test(key));
}

/** The policies of a resource: `policy` of policy resources, `inline_policy[].policy` of roles. */
function policiesOf(resource: SynthesizedResource): unknown[] {
  if (resource.type === "aws_iam_role")
    return blocks(resource.config.inline_policy)
      .map((block) => block.policy)
      .filter((policy) => policy !== undefined);
  return [resource.config.policy];
}

const IAM_POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_role", "aws_iam_user_policy", "aws_iam_group_policy"] as const;

/** IAM-001: KMS, Secrets Manager and SSM permissions are scoped to named resources. */
export const iamSensitiveActionsScoped: ComplianceRule = {
  id: "IAM-001",
  severity: "error",
  description: 'IAM policy statements that allow KMS, Secrets Manager or SSM actions never apply to Resource "*" (unless scoped by tags).',
  rationale:
    'kms:Decrypt on "*" decrypts with every key in the account whose key policy enables IAM, and secretsmanager:GetSecretValue / ssm:GetParameter on "*" read every secret; a compromised function then exposes all of them instead of its own.',
  remediation:
    'List the key, secret or parameter ARNs in Resource (for example "${aws_kms_key.<name>.arn}"); LambdaExecutionRole and the grant helpers do this. Keys created by a pipeline, whose ARNs are unknown before they exist, may be scoped by their tags instead (a StringEquals condition on aws:ResourceTag/<key> or aws:RequestTag/<key>). Actions that support no resource-level permission (kms:ListKeys, ssm:DescribeParameters, ...) may stay on "*".',
  controls: ["Security Hub KMS.1", "Security Hub KMS.2", "checkov CKV_AWS_355", "cdk-nag IAMNoWildcardPermissions (AwsSolutions-IAM5)"],
  check(stack: StackView): readonly RuleViolation[] {
    return IAM_POLICY_TYPES.flatMap((type) => stack.ofType(type)).flatMap((resource) =>
      policiesOf(resource).flatMap((policy): RuleViolation[] => {
        const parsed = parsePolicy(stack, policy);
        if ("unreadable" in parsed) {
          return [{ resource, message: `${resource.address}: the policy cannot be checked for KMS/Secrets Manager/SSM actions on "*" at synth time: ${parsed.unreadable}` }];
        }
        return parsed.statements.flatMap((statement, index): RuleViolation[] => {
          if (statement.effect !== "Allow" || scopedByTags(statement.condition)) return [];
          const broad = statement.resources.filter(broadResource);
          const notResource = statement.notResources.length > 0;
          if (broad.length === 0 && !notResource) return [];
          const actions = statement.actions.filter(sensitive);
          if (statement.notActions.length > 0) actions.push(`NotAction ${statement.notActions.join(", ")}`);
          const where = notResource
            ? `NotResource ${statement.notResources.join(", ")} (every other resource)`
            : broad.includes("*")
              ? `Resource "*"`
              : `Resource ${broad.map((arn) => `"${arn}"`).join(", ")} (as broad as "*")`;
          return actions.length > 0 ? [{ resource, message: `${resource.address}: policy ${statementLabel(statement, index)} allows ${actions.join(", ")} on ${where}` }] : [];
        });
      }),
    );
  },
};
