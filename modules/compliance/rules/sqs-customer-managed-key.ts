import type { ComplianceRule, RuleViolation, StackView } from "../compliance-rule";
import { nonEmptyString } from "./support";

/** SQS-001: queues (a function's dead-letter queue) are encrypted with a customer-managed key. */
export const sqsCustomerManagedKey: ComplianceRule = {
  id: "SQS-001",
  severity: "error",
  description: "SQS queues, such as a function's dead-letter queue, are encrypted with a customer-managed KMS key.",
  rationale:
    "A dead-letter queue holds the events a function failed to process, which can carry the same data as its inputs. With SSE-SQS or the AWS managed key aws/sqs, anyone in the account with sqs:ReceiveMessage reads them; a customer-managed key lets the key policy decide who can, and makes each read auditable.",
  remediation:
    "Set kms_master_key_id on aws_sqs_queue to a customer-managed aws_kms_key (not an alias/aws/* key); EncryptedFunction's deadLetterQueue and DeadLetterQueue do this.",
  controls: ["checkov CKV_AWS_27", "cdk-nag SQS2"],
  check(stack: StackView): readonly RuleViolation[] {
    return stack.ofType("aws_sqs_queue").flatMap((resource): RuleViolation[] => {
      const key = nonEmptyString(resource.config.kms_master_key_id);
      if (!key) return [{ resource, message: `Queue ${resource.address} has no kms_master_key_id: it is not encrypted with a customer-managed key` }];
      return key.includes("alias/aws/") ? [{ resource, message: `Queue ${resource.address} uses the AWS managed key ${key}` }] : [];
    });
  },
};
