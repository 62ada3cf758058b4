import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { blocks, nonEmptyString } from "./support";

/** The environment variables of an aws_lambda_function config (block as object or array). */
export function lambdaEnvironmentVariables(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const environment of blocks(config.environment)) {
    for (const block of blocks(environment.variables)) Object.assign(variables, block);
  }
  return variables;
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** LAMBDA-001: environment variables are encrypted with a customer-managed key. */
export const lambdaEnvironmentKmsKey: ComplianceRule = {
  id: "LAMBDA-001",
  severity: "error",
  description: "Lambda functions with environment variables encrypt them with a customer-managed KMS key (kms_key_arn).",
  rationale:
    "Without kms_key_arn Lambda encrypts the environment with the AWS managed key aws/lambda, whose key policy you cannot restrict or audit per function: anyone with lambda:GetFunctionConfiguration reads the values in clear.",
  remediation:
    'Set kms_key_arn to the ARN of a customer-managed aws_kms_key (for example "${aws_kms_key.<name>.arn}"); EncryptedFunction does this from its key. Do not use an alias/aws/* key.',
  controls: ["checkov CKV_AWS_173"],
  check(stack: StackView): readonly RuleViolation[] {
    return stack.ofType("aws_lambda_function").flatMap((resource): RuleViolation[] => {
      if (Object.keys(lambdaEnvironmentVariables(resource.config)).length === 0) return [];
      const keyArn = nonEmptyString(resource.config.kms_key_arn);
      if (!keyArn)
        return [{ resource, message: `Lambda function ${resource.address} has environment variables but no kms_key_arn: they are encrypted with the AWS managed key aws/lambda` }];
      // A multi-Region key's replica is a customer-managed key too.
      if (keyArn.startsWith("${aws_kms_key.") || keyArn.startsWith("${aws_kms_replica_key.") || KEY_ARN.test(keyArn)) return [];
      return [{ resource, message: `Lambda function ${resource.address} sets kms_key_arn to "${keyArn}", which is not a customer-managed aws_kms_key reference or key ARN` }];
    });
  },
};
