/**
 * One CIS AWS Foundations monitoring control as AWS Security Hub checks it:
 * a CloudWatch Logs metric filter on the trail's log group with exactly
 * `pattern`, an alarm on its metric, and an SNS topic with a subscriber
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html).
 */
export interface CisMonitoringControl {
  /** Security Hub control ID, e.g. "CloudWatch.1". */
  readonly control: string;
  /** CIS AWS Foundations Benchmark recommendations the control maps to, e.g. "CIS 1.2.0 3.3 / 1.4.0 4.3". */
  readonly cis: string;
  /**
   * Short, stable kebab-case ID (e.g. "root-account-usage"), used in
   * construct IDs and resource names: never change it, or Terraform
   * replaces the filter and the alarm.
   */
  readonly id: string;
  /** PascalCase CloudWatch metric name, as in Security Hub's example alarm names (e.g. "RootAccountUsage"). */
  readonly metricName: string;
  /** Security Hub's title of the control. */
  readonly title: string;
  /**
   * The metric filter pattern, character for character as the Security Hub
   * user guide gives it. Security Hub fails the control unless "the exact
   * metric filters prescribed by CIS are used", with no fields or terms
   * added; whether it ignores whitespace is not documented. Do not
   * reformat, re-quote or extend it.
   */
  readonly pattern: string;
  /**
   * What the alarm catches, what it cannot catch and what to do. Shown in
   * every alarm notification (CloudWatch's AlarmDescription takes at most
   * 1024 characters, so keep it under ~900 to leave room for a prefix).
   */
  readonly description: string;
}

/**
 * Security Hub controls CloudWatch.1 to CloudWatch.14 (CIS AWS Foundations
 * Benchmark v1.2.0 3.x / v1.4.0 4.x), in control order.
 *
 * The patterns are copied from the Security Hub user guide, control page
 * "cloudwatch-controls" (the awsdocs/aws-security-hub-user-guide copy of
 * March 2023, the last one published on GitHub), and must stay exactly as
 * they are: Security Hub compares the pattern with the one it prescribes,
 * so reformatting one (spaces around `=`, `||` or inside the braces, quotes
 * added or removed) can turn the control FAILED even though CloudWatch Logs
 * would match the same events. Patterns that contain `"` are written in
 * single quotes so that they read exactly as the user guide prints them.
 *
 * Security Hub's patterns are CIS's with different whitespace, and for
 * CloudWatch.3 with two added terms; the comment on each entry gives the
 * CIS text where it differs (as published in the benchmark PDFs, quoted by
 * the steampipe aws-compliance mod). Where they differ, Security Hub's wins
 * here, because Security Hub is what reports the control.
 *
 * Only CloudWatch.2, .3 and .6 look at the outcome of a call: every other
 * pattern matches on the event name alone, so failed attempts (e.g. a
 * DeleteTrail refused with AccessDenied) raise the alarm too.
 */
export const CIS_MONITORING_CONTROLS: readonly CisMonitoringControl[] = [
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-1
    // Also mapped to CIS 1.2.0 1.1 and 1.4.0 1.7 (avoid / eliminate use of root).
    // CIS 1.2.0 3.3 and 1.4.0 4.3 print it with spaces:
    // { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }
    control: "CloudWatch.1",
    cis: "CIS 1.2.0 3.3 / 1.4.0 4.3",
    id: "root-account-usage",
    metricName: "RootAccountUsage",
    title: 'A log metric filter and alarm should exist for usage of the "root" user',
    pattern: '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
    description:
      'The root user was used: an API call or console sign-in (successful or failed) recorded with userIdentity.type "Root" that no AWS service made on its behalf (invokedBy absent) and that is not an AWS service event. ' +
      "Misses: root actions an AWS service performs for the root user (invokedBy set) and anything the trail does not record (e.g. data events it does not select). " +
      "Root is only for the few tasks that need it. " +
      'Do: find the events (userIdentity.type = "Root") in the trail\'s log group and ask the account owner who used root and why. ' +
      "If nobody can explain it, treat the account as compromised: change the root password, delete any root access keys, check the root MFA device and review everything done from that sourceIPAddress.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-2
    // Security Hub maps CloudWatch.2 to CIS 1.2.0 3.1 only. CIS 1.2.0 3.1 prints it with spaces:
    // { ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }
    // CIS 1.4.0 4.1 appends || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket"),
    // which, joined by ||, would match almost every event; Security Hub does not use it.
    control: "CloudWatch.2",
    cis: "CIS 1.2.0 3.1",
    id: "unauthorized-api-calls",
    metricName: "UnauthorizedAPICalls",
    title: "Ensure a log metric filter and alarm exist for unauthorized API calls",
    pattern: '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    description:
      'A call was refused for lack of permission: errorCode ending in "UnauthorizedOperation" (EC2 style, e.g. Client.UnauthorizedOperation) or starting with "AccessDenied" (e.g. AccessDenied, AccessDeniedException). ' +
      "Misses: refusals reported under other error codes, and calls the trail does not record (e.g. S3 object reads without data events). " +
      "Expect noise: consoles and tools probe for permissions and AWS services retry. " +
      "Do: in CloudWatch Logs Insights, group the matching events by userIdentity.arn, eventSource and eventName. " +
      "One principal failing across many services or regions, or from an unknown sourceIPAddress, suggests stolen credentials being tried: disable its keys or sessions. " +
      "One application failing the same call steadily is a missing permission: fix its policy.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-3
    // Security Hub maps CloudWatch.3 to CIS 1.2.0 3.2 only, whose text is
    // { ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }
    // Security Hub adds the userIdentity.type and ConsoleLogin = "Success" terms (user guide
    // since May 2022; before that it printed {($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}).
    // CIS 1.4.0 4.2 keeps the two-term form.
    control: "CloudWatch.3",
    cis: "CIS 1.2.0 3.2",
    id: "console-signin-without-mfa",
    metricName: "ConsoleSigninWithoutMFA",
    title: "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA",
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    description:
      'An IAM user signed in to the console without MFA: a successful ConsoleLogin with userIdentity.type "IAMUser" and additionalEventData.MFAUsed other than "Yes". ' +
      'Misses: root sign-ins without MFA (type "Root": the root usage alarm catches those), IAM Identity Center and other federated sign-ins (MFA is up to the identity provider), failed sign-ins (the authentication failure alarm) and API use with access keys, which never asks for MFA. ' +
      "Do: identify the user (userIdentity.userName) and sourceIPAddress and ask the user whether it was them. " +
      "Give the user an MFA device and require it (deny actions without aws:MultiFactorAuthPresent). " +
      "If the sign-in was not theirs, reset the password, deactivate the user's access keys and review what the session did.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-4
    // CIS 1.2.0 3.4 and 1.4.0 4.4 print the same terms without spaces around ||:
    // {($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||...||($.eventName=DetachGroupPolicy)}
    control: "CloudWatch.4",
    cis: "CIS 1.2.0 3.4 / 1.4.0 4.4",
    id: "iam-policy-changes",
    metricName: "IAMPolicyChanges",
    title: "Ensure a log metric filter and alarm exist for IAM policy changes",
    pattern:
      "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
    description:
      "An IAM policy changed: a managed policy was created, deleted or given a new or deleted version, an inline policy was put on or deleted from a user, group or role, or a managed policy was attached to or detached from one. " +
      "The pattern does not check the event source, so same-named calls of other services fire it too (Auto Scaling DeletePolicy, Organizations and IoT CreatePolicy/DeletePolicy). " +
      "Misses: other ways to gain permissions: role trust policies (UpdateAssumeRolePolicy), SetDefaultPolicyVersion, permissions boundaries, group membership (AddUserToGroup), new access keys or passwords, resource-based policies (S3, KMS, SNS...) and SCPs. " +
      "Do: check userIdentity and requestParameters (policyArn, policyDocument, roleName/userName/groupName). " +
      "Expected if your deploy pipeline made it during a deployment; otherwise revert it and investigate the principal.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-5
    // CIS 1.2.0 3.5 prints { ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ... || ($.eventName = StopLogging) }
    // and CIS 1.4.0 4.5 {($.eventName = CreateTrail) || ... || ($.eventName = StopLogging)} (spaces around =).
    control: "CloudWatch.5",
    cis: "CIS 1.2.0 3.5 / 1.4.0 4.5",
    id: "cloudtrail-changes",
    metricName: "CloudTrailChanges",
    title: "Ensure a log metric filter and alarm exist for CloudTrail AWS Configuration changes",
    pattern: "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    description:
      "A trail was created, updated or deleted, or its logging was started or stopped (CreateTrail, UpdateTrail, DeleteTrail, StartLogging, StopLogging), for any trail, failed attempts included. " +
      "Misses: changes to what a trail records (PutEventSelectors, PutInsightSelectors), to its S3 bucket, bucket policy, KMS key or log group, and CloudTrail Lake event data stores. " +
      "If the trail that feeds this alarm stops, every CloudTrail alarm goes silent: check it with `aws cloudtrail get-trail-status`. " +
      "Do: check eventName, requestParameters.name and userIdentity. " +
      "Expected if your deploy pipeline made it during a deployment; otherwise restore the trail (StartLogging, re-apply its settings), then find out who did it and what else happened while logging was off.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-6
    // CIS 1.2.0 3.6 prints { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }
    // and CIS 1.4.0 4.6 {($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }.
    control: "CloudWatch.6",
    cis: "CIS 1.2.0 3.6 / 1.4.0 4.6",
    id: "console-authentication-failures",
    metricName: "ConsoleAuthenticationFailure",
    title: "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures",
    pattern: '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    description:
      'A console sign-in failed with errorMessage "Failed authentication" (a wrong password for an IAM user or the root user). ' +
      "One failure is usually a typo; many, or failures for root, suggest password guessing. " +
      "Misses: failures recorded with other messages (e.g. a user name that does not exist), IAM Identity Center and other federated sign-ins (the identity provider records those) and API calls with bad access keys (not ConsoleLogin events). " +
      "Do: group the events by userIdentity (userName or arn) and sourceIPAddress. " +
      "If the user did not simply mistype, make sure the user has MFA and a strong password, look for a successful ConsoleLogin from the same address, and consider blocking it.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-7
    // CIS 1.2.0 3.7 and 1.4.0 4.7 print
    // {($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }
    // Security Hub also fails the control if the trail excludes kms.amazonaws.com (ExcludeManagementEventSources).
    control: "CloudWatch.7",
    cis: "CIS 1.2.0 3.7 / 1.4.0 4.7",
    id: "cmk-disable-or-deletion",
    metricName: "DisableOrDeleteCMK",
    title: "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer managed keys",
    pattern: "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    description:
      "A KMS key was disabled (DisableKey) or scheduled for deletion (ScheduleKeyDeletion), for any key in any region the trail records, failed attempts included. " +
      "Data encrypted under the key cannot be decrypted while it is disabled, and is lost for good once the key is deleted. " +
      "Misses: other ways to lose a key: a key policy that locks everyone out (PutKeyPolicy), deleting imported key material, and the deletion itself when the waiting period ends (DeleteKey, an AWS service event). " +
      "Do: check requestParameters.keyId and userIdentity. " +
      "If it was not planned, run CancelKeyDeletion (the key is then disabled) and EnableKey before the waiting period (pendingWindowInDays, 7 to 30 days) ends, then find out who did it.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-8
    // CIS 1.2.0 3.8 and 1.4.0 4.8 print the same terms with spaces around = and inside the braces:
    // { ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ... || ($.eventName = DeleteBucketReplication)) }
    control: "CloudWatch.8",
    cis: "CIS 1.2.0 3.8 / 1.4.0 4.8",
    id: "s3-bucket-policy-changes",
    metricName: "S3BucketPolicyChanges",
    title: "Ensure a log metric filter and alarm exist for S3 bucket policy changes",
    pattern:
      "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
    description:
      "An S3 bucket's access or data-handling settings changed: its ACL was set, or its policy, CORS, lifecycle or replication configuration was set or deleted. " +
      "Misses: Block Public Access settings (bucket and account), object ownership, object ACLs (data events), access point policies, default encryption, versioning and Object Lock. " +
      'Do: read requestParameters for the bucket and the new policy, ACL or rules. Look for grants to "*", AllUsers, AuthenticatedUsers or unknown accounts, replication to buckets you do not own, and lifecycle rules that expire data. ' +
      "Check IAM Access Analyzer findings and revert unexpected changes.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-9
    // CIS 1.2.0 3.9 prints
    // { ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }
    // and CIS 1.4.0 4.9 the same without the spaces inside the braces and before the second ||.
    control: "CloudWatch.9",
    cis: "CIS 1.2.0 3.9 / 1.4.0 4.9",
    id: "config-changes",
    metricName: "AWSConfigChanges",
    title: "Ensure a log metric filter and alarm exist for AWS Config configuration changes",
    pattern:
      "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    description:
      "AWS Config recording or delivery changed: the configuration recorder was stopped (StopConfigurationRecorder) or changed (PutConfigurationRecorder), or the delivery channel was changed or deleted (PutDeliveryChannel, DeleteDeliveryChannel). " +
      "Misses: DeleteConfigurationRecorder, which removes the recorder outright, deleted Config rules, conformance packs or aggregators, and changes to the delivery bucket or topic themselves. " +
      "Do: run `aws configservice describe-configuration-recorder-status` in the event's region; restart a stopped recorder and restore the delivery channel. " +
      "Expected if your deploy pipeline made it during a deployment; otherwise find out who did it and what changed while recording was off.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-10
    // CIS 1.2.0 3.10 and 1.4.0 4.10 print the same terms with spaces around =.
    control: "CloudWatch.10",
    cis: "CIS 1.2.0 3.10 / 1.4.0 4.10",
    id: "security-group-changes",
    metricName: "SecurityGroupChanges",
    title: "Ensure a log metric filter and alarm exist for security group changes",
    pattern:
      "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    description:
      "A security group was created or deleted, or an ingress or egress rule was added or removed (Authorize/RevokeSecurityGroupIngress/Egress, Create/DeleteSecurityGroup). " +
      "Your own deployments and services that create groups for you (e.g. EKS) fire it too. " +
      "Misses: rules edited in place (ModifySecurityGroupRules), rule description updates, and attaching groups to instances or network interfaces. " +
      "Do: read requestParameters.ipPermissions: a rule open to 0.0.0.0/0 or ::/0, above all on administration or database ports, needs an owner and a reason. " +
      "Revoke unexpected rules and investigate the principal.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-11
    // CIS 1.2.0 3.11 and 1.4.0 4.11 print the same terms with spaces around = and inside the braces.
    control: "CloudWatch.11",
    cis: "CIS 1.2.0 3.11 / 1.4.0 4.11",
    id: "nacl-changes",
    metricName: "NetworkACLChanges",
    title: "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)",
    pattern:
      "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
    description:
      "A network ACL changed: an ACL was created or deleted, an entry was created, replaced or deleted, or a subnet was moved to another ACL (ReplaceNetworkAclAssociation). " +
      "Misses: the default ACL that comes with a new VPC (there is no CreateNetworkAcl event for it) and subnets that join an ACL when they are created. " +
      'Do: read requestParameters (ruleNumber, ruleAction, egress, cidrBlock, portRange): an "allow" from 0.0.0.0/0 with a low rule number overrides the deny entries after it. ' +
      "Revert unexpected entries and investigate the principal.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-12
    // CIS 1.2.0 3.12 and 1.4.0 4.12 print the same terms with spaces around =.
    control: "CloudWatch.12",
    cis: "CIS 1.2.0 3.12 / 1.4.0 4.12",
    id: "network-gateway-changes",
    metricName: "NetworkGatewayChanges",
    title: "Ensure a log metric filter and alarm exist for changes to network gateways",
    pattern:
      "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    description:
      "A customer gateway was created or deleted, or an internet gateway was created, deleted, attached to or detached from a VPC. " +
      "Misses: NAT gateways, egress-only internet gateways, virtual private gateways (CreateVpnGateway, AttachVpnGateway), VPN connections, transit gateways and their attachments, carrier gateways and VPC endpoints. " +
      "Do: an internet gateway attached to a VPC that should be private exposes every subnet that routes to it; a new customer gateway is one end of a VPN into your network. " +
      "Confirm the change with the network owner, detach or delete unexpected gateways and investigate the principal.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-13
    // CIS 1.2.0 3.13 and 1.4.0 4.13 print the same terms with spaces around =. Prowler (since
    // 2024) also requires ($.eventSource = ec2.amazonaws.com) here; Security Hub does not.
    control: "CloudWatch.13",
    cis: "CIS 1.2.0 3.13 / 1.4.0 4.13",
    id: "route-table-changes",
    metricName: "RouteTableChanges",
    title: "Ensure a log metric filter and alarm exist for route table changes",
    pattern:
      "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}",
    description:
      "A route table changed: a table was created or deleted, a route was created, replaced or deleted, or a subnet association was replaced or removed. " +
      "Misses: AssociateRouteTable (a subnet or gateway newly associated with a table), route propagation (EnableVgwRoutePropagation), routes that gateway VPC endpoints add, and transit gateway route tables. " +
      "Do: read requestParameters: destinationCidrBlock and the target (gatewayId, natGatewayId, instanceId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId). " +
      "A 0.0.0.0/0 route to an internet gateway makes a subnet public; a route to an instance or interface can divert traffic through it. Revert unexpected routes.",
  },
  {
    // https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-14
    // CIS 1.2.0 3.14 and 1.4.0 4.14 print the same terms with spaces around = and inside the braces.
    // The ClassicLink calls belong to EC2-Classic, which AWS has retired.
    control: "CloudWatch.14",
    cis: "CIS 1.2.0 3.14 / 1.4.0 4.14",
    id: "vpc-changes",
    metricName: "VPCChanges",
    title: "Ensure a log metric filter and alarm exist for VPC changes",
    pattern:
      "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
    description:
      "A VPC changed: a VPC was created or deleted or its attributes (DNS support, DNS hostnames) modified, or a VPC peering connection was requested, accepted, rejected or deleted. " +
      "The ClassicLink terms belong to EC2-Classic, which AWS has retired, so they no longer fire. " +
      "Misses: CIDR blocks added to a VPC, subnets and their attributes (e.g. public IPs on launch), peering options, VPC endpoints, deleted flow logs and transit gateway attachments. " +
      "Do: a peering connection with an account you do not know, or an accepted one nobody requested, can route traffic into your VPCs: reject or delete it. " +
      "Otherwise confirm the change with the network owner and investigate the principal.",
  },
];
