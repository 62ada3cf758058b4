import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { blocks, nonEmptyString, pointsAt } from "./support";

const MIN_RETENTION_DAYS = 365;

/** LAMBDA-003: each function has its log group, encrypted and kept for a year. */
export const lambdaLogGroup: ComplianceRule = {
  id: "LAMBDA-003",
  severity: "error",
  description: `Each Lambda function has its /aws/lambda/<function_name> log group in the stack, KMS-encrypted, with retention of at least ${MIN_RETENTION_DAYS} days (or never expiring).`,
  rationale:
    "If the log group is not managed, Lambda creates it on first invocation without encryption and with infinite retention, outside Terraform. Logs can contain sensitive data (KMS-encrypted log groups keep them under the key policy), and audits need a year of history.",
  remediation: `Add an aws_cloudwatch_log_group named "/aws/lambda/<function_name>" with kms_key_id set to a customer-managed key ARN and retention_in_days >= ${MIN_RETENTION_DAYS} (or 0 = never expire); make the function depend on it. EncryptedFunction does this.`,
  controls: ["checkov CKV_AWS_158", "checkov CKV_AWS_66", "checkov CKV_AWS_338", "cdk-nag CloudWatchLogGroupEncrypted", "cdk-nag CloudWatchLogGroupRetentionPeriod"],
  check(stack: StackView): readonly RuleViolation[] {
    const logGroups = stack.ofType("aws_cloudwatch_log_group");
    return stack.ofType("aws_lambda_function").flatMap((resource): RuleViolation[] => {
      const functionName = nonEmptyString(resource.config.function_name);
      // logging_config.log_group (object or one-element list) replaces the default /aws/lambda/<function_name>.
      const customGroup = blocks(resource.config.logging_config)
        .map((block) => nonEmptyString(block.log_group))
        .find((name) => name !== undefined);
      const expected: string[] = [];
      if (customGroup) {
        expected.push(customGroup);
      } else {
        expected.push(`/aws/lambda/\${aws_lambda_function.${resource.name}.function_name}`);
        if (functionName) expected.push(`/aws/lambda/${functionName}`);
      }
      const logGroup = logGroups.find(
        (group) =>
          (typeof group.config.name === "string" && expected.includes(group.config.name)) ||
          // A reference such as "${aws_cloudwatch_log_group.logs.name}" names the log group resource itself.
          pointsAt(customGroup, group),
      );
      if (!logGroup) {
        return [
          {
            resource,
            message: `Lambda function ${resource.address} has no aws_cloudwatch_log_group named "${expected[expected.length - 1]}" in this stack; Lambda would create it unencrypted and never expiring`,
          },
        ];
      }
      const problems: RuleViolation[] = [];
      if (!nonEmptyString(logGroup.config.kms_key_id)) {
        problems.push({ resource: logGroup, message: `Log group ${logGroup.address} of Lambda function ${resource.address} is not KMS-encrypted (kms_key_id unset)` });
      }
      const retention = logGroup.config.retention_in_days;
      if (typeof retention !== "number" || (retention !== 0 && retention < MIN_RETENTION_DAYS)) {
        problems.push({
          resource: logGroup,
          message: `Log group ${logGroup.address} of Lambda function ${resource.address} has retention_in_days ${retention === undefined ? "unset" : JSON.stringify(retention)}; set at least ${MIN_RETENTION_DAYS} (or 0 = never expire)`,
        });
      }
      return problems;
    });
  },
};
