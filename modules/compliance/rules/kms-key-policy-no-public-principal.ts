import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { parsePolicy, statementLabel } from "./support";

const WILDCARD_PRINCIPALS = new Set(["*", "AWS:*"]);

/** KMS-002: no key policy statement allows everyone without a condition. */
export const kmsKeyPolicyNoPublicPrincipal: ComplianceRule = {
  id: "KMS-002",
  severity: "error",
  description: 'KMS key policies have no Allow statement for a "*" principal without a Condition.',
  rationale:
    'A key policy statement that allows Principal "*" without a condition lets any AWS account — including accounts outside the organization — use or administer the key, so anyone could decrypt the Lambda environment and logs it protects.',
  remediation:
    'Name the principals (account root, roles) in the statement, or keep "*" only together with a Condition that restricts it (for example aws:PrincipalOrgID, kms:CallerAccount or kms:ViaService).',
  controls: ["checkov CKV_AWS_33", "checkov CKV_AWS_283"],
  check(stack: StackView): readonly RuleViolation[] {
    return [...stack.ofType("aws_kms_key"), ...stack.ofType("aws_kms_replica_key"), ...stack.ofType("aws_kms_key_policy")].flatMap((resource): RuleViolation[] => {
      if (resource.config.policy === undefined) return []; // the AWS default key policy names the account root only
      const what = resource.type === "aws_kms_key_policy" ? "KMS key policy" : "KMS key";
      const parsed = parsePolicy(stack, resource.config.policy);
      if ("unreadable" in parsed) {
        return [{ resource, message: `${what} ${resource.address}: the key policy cannot be checked for "*" principals at synth time: ${parsed.unreadable}` }];
      }
      return parsed.statements.flatMap((statement, index) =>
        statement.effect === "Allow" && !statement.condition && statement.principals.some((principal) => WILDCARD_PRINCIPALS.has(principal))
          ? [{ resource, message: `${what} ${resource.address}: key policy ${statementLabel(statement, index)} allows the "*" principal without a Condition` }]
          : [],
      );
    });
  },
};
