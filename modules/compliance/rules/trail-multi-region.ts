import { isTrue } from "./support";
import { managementEventProblems, trailRule } from "./trail-support";

/** TRAIL-001: multi-Region, read and write management events, KMS events included. */
export const trailMultiRegionManagementEvents = trailRule(
  {
    id: "TRAIL-001",
    description: "CloudTrail trails are multi-Region and record all read and write management events, without excluding KMS events.",
    rationale:
      "A single-Region trail misses key use in other Regions; a trail that records only write events or excludes kms.amazonaws.com misses Decrypt calls, so nobody can tell who read the Lambda secrets. Security Hub CloudTrail.1 fails when any management event source is excluded.",
    remediation:
      'Set is_multi_region_trail = true and either omit event_selector or use read_write_type = "All", include_management_events = true and no exclude_management_event_sources (AuditTrail does this).',
    controls: ["CIS AWS Foundations 1.2 2.1", "CIS AWS Foundations 1.4 3.1", "CIS AWS Foundations 3.0 3.1", "Security Hub CloudTrail.1", "checkov CKV_AWS_67"],
  },
  (trail) => [...(isTrue(trail.config.is_multi_region_trail) ? [] : ["is not multi-Region (is_multi_region_trail is not true)"]), ...managementEventProblems(trail.config)],
);
