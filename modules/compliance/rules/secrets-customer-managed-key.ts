import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { nonEmptyString } from "./support";

/** Whether a key reference names an AWS managed key (alias/aws/...). */
const isAwsManaged = (key: string) => key.includes("alias/aws/");

/** SECRET-001: secrets and SecureString parameters use a customer-managed key. */
export const secretsCustomerManagedKey: ComplianceRule = {
  id: "SECRET-001",
  severity: "error",
  description: "Secrets Manager secrets and SSM SecureString parameters are encrypted with a customer-managed KMS key.",
  rationale:
    "The AWS managed keys aws/secretsmanager and aws/ssm allow every principal in the account that has the service permission to decrypt; only a customer-managed key lets the key policy decide who can read the secret and makes each read auditable per key.",
  remediation:
    "Set kms_key_id on aws_secretsmanager_secret and key_id on SecureString aws_ssm_parameter to a customer-managed aws_kms_key (not an alias/aws/* key); SecretsManagerSecret and SecureStringParameter do this.",
  controls: ["checkov CKV_AWS_149", "checkov CKV_AWS_337", "cdk-nag SecretsManagerUsingKMSKey"],
  check(stack: StackView): readonly RuleViolation[] {
    const secrets = stack.ofType("aws_secretsmanager_secret").flatMap((resource): RuleViolation[] => {
      const key = nonEmptyString(resource.config.kms_key_id);
      if (!key) return [{ resource, message: `Secret ${resource.address} has no kms_key_id: it is encrypted with the AWS managed key aws/secretsmanager` }];
      return isAwsManaged(key) ? [{ resource, message: `Secret ${resource.address} uses the AWS managed key ${key}` }] : [];
    });
    const parameters = stack
      .ofType("aws_ssm_parameter")
      .filter((resource) => resource.config.type === "SecureString")
      .flatMap((resource): RuleViolation[] => {
        const key = nonEmptyString(resource.config.key_id);
        if (!key) return [{ resource, message: `SecureString parameter ${resource.address} has no key_id: it is encrypted with the AWS managed key aws/ssm` }];
        return isAwsManaged(key) ? [{ resource, message: `SecureString parameter ${resource.address} uses the AWS managed key ${key}` }] : [];
      });
    return [...secrets, ...parameters];
  },
};
