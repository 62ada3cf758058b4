import type { ComplianceRule, RuleViolation, StackView, SynthesizedResource } from "../compliance-rule";
import { actionMatches, parsePolicy, pointsAt } from "./support";

/** The account root as a key policy principal: its ARN or the bare account ID (a Terraform reference counts as the account ID). */
const ACCOUNT_ROOT = /^AWS:(arn:aws[a-z-]*:iam::(\d{12}|\$\{[^}]+\}):root|\d{12})$/;

/** KMS-003: the account keeps control of the key even if every IAM principal named in the policy disappears. */
export const kmsKeyPolicyLockoutSafe: ComplianceRule = {
  id: "KMS-003",
  severity: "error",
  description: "KMS key policies let the account root administer the key (kms:* or at least kms:PutKeyPolicy), so the key cannot become unmanageable.",
  rationale:
    "If no statement lets the account root change the key policy, deleting or renaming the roles the policy names makes the key unmanageable; only AWS Support can recover it. The root statement also enables IAM policies in the account to grant access to the key.",
  remediation:
    'Add an Allow statement for Principal { AWS = "arn:<partition>:iam::<account>:root" } with Action kms:* (EncryptionKey adds it as EnableIamPoliciesForAccount), or omit policy to use the AWS default key policy. Keep bypass_policy_lockout_safety_check = false.',
  controls: ["AWS KMS policy lockout safety check (BypassPolicyLockoutSafetyCheck)", "checkov CKV2_AWS_64 (related: key policy defined)"],
  check(stack: StackView): readonly RuleViolation[] {
    const keyPolicies = stack.ofType("aws_kms_key_policy");
    /** Whether an aws_kms_key_policy of the stack sets the policy of `key` (its key_id references the key). */
    const hasSeparatePolicy = (key: SynthesizedResource): boolean => keyPolicies.some((keyPolicy) => pointsAt(keyPolicy.config.key_id, key));
    const judge = (resource: SynthesizedResource, what: string): RuleViolation[] => {
      const parsed = parsePolicy(stack, resource.config.policy);
      if ("unreadable" in parsed) {
        return [{ resource, message: `${what} ${resource.address}: the key policy cannot be checked for a lockout-safe root statement at synth time: ${parsed.unreadable}` }];
      }
      const safe = parsed.statements.some(
        (statement) =>
          statement.effect === "Allow" &&
          statement.principals.some((principal) => ACCOUNT_ROOT.test(principal)) &&
          statement.actions.some((action) => actionMatches(action, "kms:PutKeyPolicy")),
      );
      return safe
        ? []
        : [{ resource, message: `${what} ${resource.address}: no key policy statement allows the account root kms:* (or kms:PutKeyPolicy); the key can become unmanageable` }];
    };
    const keys = [...stack.ofType("aws_kms_key"), ...stack.ofType("aws_kms_replica_key")].flatMap((resource): RuleViolation[] => {
      // An aws_kms_key_policy that references the key replaces its policy: that resource is judged below, not the AWS default.
      if (hasSeparatePolicy(resource)) return [];
      // Without policy AWS applies its default key policy, which allows the account root kms:*.
      if (resource.config.policy === undefined) return [];
      return judge(resource, "KMS key");
    });
    return [...keys, ...keyPolicies.flatMap((resource) => judge(resource, "KMS key policy"))];
  },
};
