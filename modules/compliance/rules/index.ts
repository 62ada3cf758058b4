import type { ComplianceRule } from "../compliance-rule";
import { alarmTopicSubscribers } from "./alarm-topic-subscribers";
import { cisMonitoringAlarms } from "./cis-monitoring-alarms";
import { iamSensitiveActionsScoped } from "./iam-sensitive-actions-scoped";
import { kmsDeletionAlarm } from "./kms-deletion-alarm";
import { kmsKeyPolicyLockoutSafe } from "./kms-key-policy-lockout-safe";
import { kmsKeyPolicyNoPublicPrincipal } from "./kms-key-policy-no-public-principal";
import { kmsKeyRotation } from "./kms-key-rotation";
import { lambdaCodeSigningEnforced } from "./lambda-code-signing-enforced";
import { lambdaEnvironmentKmsKey } from "./lambda-environment-kms-key";
import { lambdaLogGroup } from "./lambda-log-group";
import { lambdaNoPlaintextSecrets } from "./lambda-no-plaintext-secrets";
import { secretsCustomerManagedKey } from "./secrets-customer-managed-key";
import { sqsCustomerManagedKey } from "./sqs-customer-managed-key";
import { trailBucket } from "./trail-bucket";
import { trailBucketReplication } from "./trail-bucket-replication";
import { trailCloudWatchLogs } from "./trail-cloudwatch-logs";
import { trailKmsEncryption } from "./trail-kms-encryption";
import { trailLogFileValidation } from "./trail-log-file-validation";
import { trailMultiRegionManagementEvents } from "./trail-multi-region";

export {
  alarmTopicSubscribers,
  cisMonitoringAlarms,
  iamSensitiveActionsScoped,
  kmsDeletionAlarm,
  kmsKeyPolicyLockoutSafe,
  kmsKeyPolicyNoPublicPrincipal,
  kmsKeyRotation,
  lambdaCodeSigningEnforced,
  lambdaEnvironmentKmsKey,
  lambdaLogGroup,
  lambdaNoPlaintextSecrets,
  secretsCustomerManagedKey,
  sqsCustomerManagedKey,
  trailBucket,
  trailBucketReplication,
  trailCloudWatchLogs,
  trailKmsEncryption,
  trailLogFileValidation,
  trailMultiRegionManagementEvents,
};

/** The rules `ComplianceChecker` runs by default, in report order. IDs are stable. */
export const DEFAULT_RULES: readonly ComplianceRule[] = [
  kmsKeyRotation,
  kmsKeyPolicyNoPublicPrincipal,
  kmsKeyPolicyLockoutSafe,
  lambdaEnvironmentKmsKey,
  lambdaNoPlaintextSecrets,
  lambdaLogGroup,
  lambdaCodeSigningEnforced,
  iamSensitiveActionsScoped,
  trailMultiRegionManagementEvents,
  trailLogFileValidation,
  trailKmsEncryption,
  trailCloudWatchLogs,
  trailBucket,
  trailBucketReplication,
  secretsCustomerManagedKey,
  sqsCustomerManagedKey,
  kmsDeletionAlarm,
  cisMonitoringAlarms,
  alarmTopicSubscribers,
];
