import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { KEY_ROTATION_PERIOD } from "../../private/aws-limits";
import { isTrue, nonEmptyString } from "./support";

/** KMS-001: symmetric customer-managed keys rotate their key material automatically. */
export const kmsKeyRotation: ComplianceRule = {
  id: "KMS-001",
  severity: "error",
  description: "Symmetric KMS keys have automatic key rotation enabled.",
  rationale:
    "Rotating the key material limits how much data one version of the key protects and is required by CIS AWS Foundations and PCI DSS 3.6.4. AWS keeps old key versions, so rotation never breaks decryption.",
  remediation: `Set enable_key_rotation = true on the aws_kms_key (EncryptionKey does this by default; optionally set rotation_period_in_days between ${KEY_ROTATION_PERIOD.min} and ${KEY_ROTATION_PERIOD.max}).`,
  controls: [
    "CIS AWS Foundations 1.2 2.8",
    "CIS AWS Foundations 1.4 3.8",
    "CIS AWS Foundations 3.0 3.6",
    "Security Hub KMS.4",
    "checkov CKV_AWS_7",
    "cdk-nag KMSBackingKeyRotationEnabled (AwsSolutions-KMS5)",
  ],
  check(stack: StackView): readonly RuleViolation[] {
    return stack.ofType("aws_kms_key").flatMap((resource) => {
      const spec = nonEmptyString(resource.config.customer_master_key_spec) ?? "SYMMETRIC_DEFAULT";
      // Automatic rotation exists only for symmetric encryption keys in the AWS KMS key store.
      if (spec !== "SYMMETRIC_DEFAULT" || nonEmptyString(resource.config.custom_key_store_id)) return [];
      if (isTrue(resource.config.enable_key_rotation)) return [];
      return [
        {
          resource,
          message: `KMS key ${resource.address} does not enable automatic key rotation (enable_key_rotation is ${JSON.stringify(resource.config.enable_key_rotation ?? "unset")})`,
        },
      ];
    });
  },
};
