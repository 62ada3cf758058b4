import { DEPLOYER_RESOURCE_TYPES } from "../modules/deployer-actions";
import { ModelGrant, ModelKey, PolicyJson, StackModel } from "./stack-model";

/**
 * "Denied" accepts an implicit or an explicit deny; "ExplicitlyDenied" needs
 * a Deny statement, the only kind of limit that no IAM policy can lift.
 */
export type ExpectedDecision = "Allowed" | "Denied" | "ExplicitlyDenied";

/** An identity policy given to the simulated principal. */
export interface IdentityPolicy {
  readonly name: string;
  readonly policy: PolicyJson;
}

export interface AccessRequest {
  /** A role or user ARN, or a service principal such as `logs.eu-west-1.amazonaws.com`. */
  readonly principal: string;
  /** e.g. `kms:Decrypt`. */
  readonly action: string;
  /** The resource ARN. Its resource policy (key, bucket, topic, secret or trust policy) comes from the stack. */
  readonly resource: string;
  /**
   * Request context, e.g. `kms:ViaService` or `kms:EncryptionContext:<key>`.
   * `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalIsAWSService`
   * and `aws:SecureTransport` are added unless given.
   * @default none
   */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * The principal's identity policies: `"stack"` for the policies the stack
   * gives the role (none for a principal outside the stack), `"allow-all"`
   * for an IAM policy that allows every action on every resource (what an
   * administrator could attach: a request that is still denied is denied by
   * a resource policy's explicit Deny), or a list of policies.
   * @default "stack"
   */
  readonly identityPolicies?: "stack" | "allow-all" | readonly IdentityPolicy[];
}

export interface AccessExpectation {
  /** What the request stands for, e.g. "orders-api's role decrypts its environment at cold start". */
  readonly description: string;
  readonly request: AccessRequest;
  readonly expect: ExpectedDecision;
  /** What to change when the decision differs. */
  readonly fix: string;
}

/** The principals a configuration names for one account (all optional). */
export interface NamedPrincipals {
  /** @default none */
  readonly keyAdministrators?: readonly string[];
  /** @default none */
  readonly keyUsers?: readonly string[];
  /** @default none */
  readonly deployers?: readonly string[];
  /** Principals that may decrypt the trail's log files through S3. @default none */
  readonly logReaders?: readonly string[];
  /** The keys let IAM give key use to principals they do not name (`allowIamToGrantKeyUse`). @default false */
  readonly allowIamToGrantKeyUse?: boolean;
  /**
   * The deploy pipeline's generated IAM policy (deployer-policy-<account>.json):
   * with it, the first deployer's Terraform calls on every resource of the
   * stack are checked to be allowed, and calls outside the stack denied.
   * @default none
   */
  readonly deployerPolicy?: PolicyJson;
  /** Operators who encrypt helper values (`helperEncrypterArns`). @default none */
  readonly helperEncrypters?: readonly string[];
  /**
   * Aliases (`alias/...`) of the keys being retired after a manual rotation
   * (`retiringKeyGenerations`): a key with one of them must be decrypt-only.
   * @default none
   */
  readonly retiringKeyAliases?: readonly string[];
  /**
   * The regions the multi-Region primary keys of the stack may be
   * replicated to: the deploy pipeline replicates them there, and nobody
   * anywhere else.
   * @default none
   */
  readonly keyReplicaRegions?: readonly string[];
  /** Secret name → the execution role of its rotation function (`secrets[].rotation`). @default none */
  readonly secretRotationRoles?: Readonly<Record<string, string>>;
}

/** Every cryptographic operation a symmetric encryption key offers, by its IAM action. */
const KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"];
/** Management actions whose loss would lock the account out of the key. */
const KEY_MANAGEMENT = ["kms:PutKeyPolicy", "kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:EnableKeyRotation"];

/**
 * The requests every stack must answer as expected, generated from its
 * contents (a new function, secret or log group adds its own requests) and
 * the principals the config names.
 */
export function expectedAccess(model: StackModel, principals: NamedPrincipals = {}): AccessExpectation[] {
  const expectations: AccessExpectation[] = [];
  const add = (description: string, expect: ExpectedDecision, fix: string, request: AccessRequest) => expectations.push({ description, expect, fix, request });
  const { accountId } = model;
  const administrators = principals.keyAdministrators ?? [];
  const keyUsers = principals.keyUsers ?? [];
  const deployers = principals.deployers ?? [];
  const logReaders = principals.logReaders ?? [];
  const unlisted = `arn:${model.partition}:iam::${accountId}:role/access-check/not-in-config`;
  const otherAccount = `arn:${model.partition}:iam::${accountId === "999999999999" ? "888888888888" : "999999999999"}:role/access-check/other-account`;

  for (const key of model.keys) {
    const region = key.region;
    const via = (service: string) => `${service}.${region}.amazonaws.com`;
    const keyed = model.functions.filter((f) => f.keyArn === key.arn);
    const helperUsers = keyed.filter((f) => f.helperVariables.length > 0);
    const of = (what: string) => `${what} (key ${key.address})`;
    const retiring = key.aliases.some((alias) => (principals.retiringKeyAliases ?? []).includes(alias));
    if (retiring) expectations.push(...retiringKeyExpectations(model, key, principals, unlisted));

    // Functions: their own environment, helper values, secrets and parameters; nobody else's.
    for (const fn of keyed) {
      add(
        of(`${fn.name}'s role decrypts its environment at cold start`),
        "Allowed",
        "give the execution role kms:Decrypt on the key with the aws:lambda:FunctionArn encryption context",
        {
          principal: fn.roleArn,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": fn.arn },
        },
      );
      for (const other of keyed.filter((f) => f !== fn && f.roleArn !== fn.roleArn)) {
        add(of(`${fn.name}'s role decrypts ${other.name}'s environment`), "Denied", `scope ${fn.name}'s decrypt statements to its own encryption context`, {
          principal: fn.roleArn,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": other.arn },
        });
      }
    }
    for (const fn of helperUsers) {
      add(of(`${fn.name}'s runtime decrypts its helper values`), "Allowed", "give the execution role kms:Decrypt with the LambdaFunctionName encryption context", {
        principal: fn.roleArn,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:EncryptionContext:LambdaFunctionName": fn.name },
      });
      add(of(`${fn.name}'s role decrypts without an encryption context`), "Denied", "condition every decrypt statement of the role on an encryption context", {
        principal: fn.roleArn,
        action: "kms:Decrypt",
        resource: key.arn,
      });
      const others = model.functions.filter((f) => f.name !== fn.name).map((f) => f.name);
      for (const otherName of others.length > 0 ? others : [`${fn.name}-other`]) {
        add(of(`${fn.name}'s role decrypts helper values of ${otherName}`), "Denied", `condition ${fn.name}'s helper statement on LambdaFunctionName = ${fn.name}`, {
          principal: fn.roleArn,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:EncryptionContext:LambdaFunctionName": otherName },
        });
      }
    }
    for (const fn of model.functions) {
      const used = model.secrets.filter((s) => s.keyArn === key.arn && Object.values(fn.environment).some((v) => v === s.arn || v === s.name));
      for (const secret of used) {
        const [readAction, service, contextKey] =
          secret.kind === "secretsmanager" ? ["secretsmanager:GetSecretValue", "secretsmanager", "SecretARN"] : ["ssm:GetParameter", "ssm", "PARAMETER_ARN"];
        add(`${fn.name}'s role reads ${secret.name}`, "Allowed", `grant ${fn.name} read access to ${secret.name} (secret.grantRead)`, {
          principal: fn.roleArn,
          action: readAction,
          resource: secret.arn,
        });
        add(
          of(`${fn.name}'s role decrypts ${secret.name} through ${service}`),
          "Allowed",
          `give the role kms:Decrypt via ${via(service)} with the ${contextKey} encryption context`,
          {
            principal: fn.roleArn,
            action: "kms:Decrypt",
            resource: key.arn,
            context: { "kms:ViaService": via(service), [`kms:EncryptionContext:${contextKey}`]: secret.arn },
          },
        );
        add(
          of(`${fn.name}'s role decrypts another ${service} value through ${service}`),
          "Denied",
          `condition the role's ${service} decrypt statement on the ${contextKey} of ${secret.name}`,
          {
            principal: fn.roleArn,
            action: "kms:Decrypt",
            resource: key.arn,
            context: { "kms:ViaService": via(service), [`kms:EncryptionContext:${contextKey}`]: `${secret.arn}-not-configured` },
          },
        );
      }
    }

    for (const fn of model.functions.filter((f) => f.deadLetterQueue?.keyArn === key.arn)) {
      const queue = fn.deadLetterQueue!.arn;
      add(`${fn.name}'s role sends a failed event to its dead-letter queue`, "Allowed", "grant the role sqs:SendMessage on the queue (DeadLetterQueue.grantSend)", {
        principal: fn.roleArn,
        action: "sqs:SendMessage",
        resource: queue,
      });
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        add(of(`${fn.name}'s role calls ${action} through SQS for its dead-letter queue`), "Allowed", `give the role ${action} on the key via ${via("sqs")}`, {
          principal: fn.roleArn,
          action,
          resource: key.arn,
          context: { "kms:ViaService": via("sqs") },
        });
      }
      add(of(`${fn.name}'s role calls kms:GenerateDataKey outside SQS`), "Denied", `condition the role's dead-letter statements on kms:ViaService ${via("sqs")}`, {
        principal: fn.roleArn,
        action: "kms:GenerateDataKey",
        resource: key.arn,
      });
      for (const other of model.functions.filter((f) => f.roleArn !== fn.roleArn).slice(0, 1)) {
        add(`${other.name}'s role sends to ${fn.name}'s dead-letter queue`, "Denied", `scope ${other.name}'s sqs:SendMessage to its own queue`, {
          principal: other.roleArn,
          action: "sqs:SendMessage",
          resource: queue,
        });
      }
    }

    // A rotation function's role uses the key through Secrets Manager for its secret only.
    for (const secret of model.secrets.filter((s) => s.keyArn === key.arn && s.kind === "secretsmanager")) {
      const role = principals.secretRotationRoles?.[secret.name];
      if (role === undefined) continue;
      const through = (secretArn: string) => ({ "kms:ViaService": via("secretsmanager"), "kms:EncryptionContext:SecretARN": secretArn });
      for (const action of ["kms:Decrypt", "kms:GenerateDataKey"]) {
        add(
          of(`the rotation function of ${secret.name} calls ${action} through Secrets Manager for it`),
          "Allowed",
          `keep RotationOf<SecretName> for ${secret.name} in the key policy`,
          {
            principal: role,
            action,
            resource: key.arn,
            context: through(secret.arn),
          },
        );
      }
      add(
        of(`the rotation function of ${secret.name} decrypts another secret through Secrets Manager`),
        "Denied",
        "condition the rotation statement on the secret's kms:EncryptionContext:SecretARN",
        {
          principal: role,
          action: "kms:Decrypt",
          resource: key.arn,
          context: through(`${secret.arn}-not-configured`),
        },
      );
      add(of(`the rotation function of ${secret.name} decrypts outside Secrets Manager`), "Denied", "condition the rotation statement on kms:ViaService", {
        principal: role,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:EncryptionContext:SecretARN": secret.arn },
      });
    }

    // The deployer writes secrets and parameters and Terraform reads them back, through their services only.
    for (const secret of model.secrets.filter((s) => s.keyArn === key.arn)) {
      const [service, contextKey, actions] =
        secret.kind === "secretsmanager" ? ["secretsmanager", "SecretARN", ["kms:GenerateDataKey", "kms:Decrypt"]] : ["ssm", "PARAMETER_ARN", ["kms:Encrypt", "kms:Decrypt"]];
      const sid = secret.kind === "secretsmanager" ? "DeployPipelineManagesSecrets" : "DeployPipelineManagesParameters";
      for (const deployer of deployers) {
        for (const action of actions) {
          add(of(`deployer ${deployer} writes and reads back ${secret.name} through ${service} (${action})`), "Allowed", `keep ${sid}`, {
            principal: deployer,
            action,
            resource: key.arn,
            context: { "kms:ViaService": via(service), [`kms:EncryptionContext:${contextKey}`]: secret.arn },
          });
        }
        add(of(`deployer ${deployer} decrypts another ${service} value through ${service}`), "Denied", `condition ${sid} on the ${contextKey} of the stack's values`, {
          principal: deployer,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via(service), [`kms:EncryptionContext:${contextKey}`]: `${secret.arn}-not-configured` },
        });
      }
    }

    // CloudWatch Logs, as the service and as the deployer that creates the groups.
    const logService = via("logs");
    for (const group of model.logGroups.filter((g) => g.keyArn === key.arn)) {
      for (const action of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]) {
        add(of(`CloudWatch Logs uses the key for ${group.name}`), "Allowed", "register the log group with key.allowCloudWatchLogs", {
          principal: logService,
          action,
          resource: key.arn,
          context: { "kms:EncryptionContext:aws:logs:arn": group.arn },
        });
      }
      for (const deployer of deployers) {
        for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]) {
          add(
            of(`deployer ${deployer} creates the encrypted log group ${group.name} through CloudWatch Logs`),
            "Allowed",
            "keep the DeployPipelineCreatesEncryptedLogGroups key-policy statement",
            {
              principal: deployer,
              action,
              resource: key.arn,
              context: { "kms:ViaService": logService, "kms:EncryptionContext:aws:logs:arn": group.arn },
            },
          );
        }
      }
    }
    if (model.logGroups.some((g) => g.keyArn === key.arn)) {
      add(of("CloudWatch Logs uses the key for a log group that is not registered"), "Denied", "condition the Logs statement on the exact log-group ARNs", {
        principal: logService,
        action: "kms:GenerateDataKey",
        resource: key.arn,
        context: { "kms:EncryptionContext:aws:logs:arn": `arn:${model.partition}:logs:${region}:${accountId}:log-group:/access-check/not-registered` },
      });
      for (const deployer of deployers) {
        add(of(`deployer ${deployer} describes the key through CloudWatch Logs`), "Allowed", "keep DeployPipelineDescribesKeyForCloudWatchLogs", {
          principal: deployer,
          action: "kms:DescribeKey",
          resource: key.arn,
          context: { "kms:ViaService": logService },
        });
      }
    }

    // People and pipelines the config names.
    for (const encrypter of (principals.helperEncrypters ?? []).filter((arn) => !retiring && !keyUsers.includes(arn) && !deployers.includes(arn))) {
      const fnName = keyed[0]?.name ?? "any-function";
      add(of(`helper encrypter ${encrypter} encrypts a value for ${fnName}`), "Allowed", "list the principal in helperEncrypterArns", {
        principal: encrypter,
        action: "kms:Encrypt",
        resource: key.arn,
        context: { "kms:EncryptionContext:LambdaFunctionName": fnName },
      });
      add(
        of(`helper encrypter ${encrypter} encrypts without the LambdaFunctionName context`),
        "Denied",
        "keep OperatorsEncryptHelperValues conditioned on the LambdaFunctionName context",
        {
          principal: encrypter,
          action: "kms:Encrypt",
          resource: key.arn,
        },
      );
      add(of(`helper encrypter ${encrypter} decrypts a helper value, whatever IAM allows`), "ExplicitlyDenied", "keep DenyHelperEncryptersReadingValues", {
        principal: encrypter,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:EncryptionContext:LambdaFunctionName": fnName },
        identityPolicies: "allow-all",
      });
    }
    for (const user of keyUsers) {
      for (const action of ["kms:Decrypt", "kms:DescribeKey"]) {
        add(of(`key user ${user} calls ${action}`), "Allowed", "list the principal in keyUserArns", { principal: user, action, resource: key.arn });
      }
    }
    for (const deployer of deployers) {
      if (keyed.length > 0) {
        const fn = keyed[0];
        for (const action of ["kms:Encrypt", "kms:Decrypt"]) {
          add(of(`deployer ${deployer} configures ${fn.name}'s encrypted environment through Lambda (${action})`), "Allowed", "keep DeployPipelineConfiguresLambda", {
            principal: deployer,
            action,
            resource: key.arn,
            context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": fn.arn },
          });
        }
        add(of(`deployer ${deployer} lets Lambda create its grant`), "Allowed", "keep DeployPipelineCreatesGrantsForAwsResources", {
          principal: deployer,
          action: "kms:CreateGrant",
          resource: key.arn,
          context: { "kms:ViaService": via("lambda"), "kms:GrantIsForAWSResource": "true" },
        });
      }
      if (keyUsers.includes(deployer)) continue;
      for (const action of KEY_USE) {
        add(of(`deployer ${deployer} calls ${action} directly, whatever IAM allows`), "ExplicitlyDenied", "keep DenyDeployPipelineKeyUseOutsideServices", {
          principal: deployer,
          action,
          resource: key.arn,
          identityPolicies: "allow-all",
        });
      }
      add(of(`deployer ${deployer} decrypts through a service it does not need (S3), whatever IAM allows`), "ExplicitlyDenied", "keep DenyDeployPipelineKeyUseOutsideServices", {
        principal: deployer,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:ViaService": via("s3") },
        identityPolicies: "allow-all",
      });
    }
    for (const admin of administrators) {
      for (const action of KEY_MANAGEMENT) {
        add(of(`key administrator ${admin} calls ${action}`), "Allowed", "keep the KeyAdministration statement", { principal: admin, action, resource: key.arn });
      }
      if (keyUsers.includes(admin) || deployers.includes(admin)) continue;
      for (const action of KEY_USE) {
        add(of(`key administrator ${admin} calls ${action}, whatever IAM allows`), "ExplicitlyDenied", "keep DenyKeyUseByAdministrators", {
          principal: admin,
          action,
          resource: key.arn,
          identityPolicies: "allow-all",
        });
      }
      if (keyed.length > 0) {
        add(of(`key administrator ${admin} reads ${keyed[0].name}'s environment through Lambda, whatever IAM allows`), "ExplicitlyDenied", "keep DenyKeyUseByAdministrators", {
          principal: admin,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": keyed[0].arn },
          identityPolicies: "allow-all",
        });
      }
    }

    // Anyone else in the account, with an IAM policy that allows everything.
    for (const action of KEY_MANAGEMENT) {
      add(of(`an IAM administrator of the account calls ${action} (the key stays manageable)`), "Allowed", "keep EnableIamPoliciesForAccount, and never deny key management", {
        principal: unlisted,
        action,
        resource: key.arn,
        identityPolicies: "allow-all",
      });
    }
    const strict = !(principals.allowIamToGrantKeyUse ?? false);
    const unlistedUse: [string, AccessRequest][] = KEY_USE.map((action) => [`calls ${action}`, { principal: unlisted, action, resource: key.arn, identityPolicies: "allow-all" }]);
    for (const fn of keyed.slice(0, 1)) {
      unlistedUse.push([
        `reads ${fn.name}'s environment through Lambda`,
        {
          principal: unlisted,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": fn.arn },
          identityPolicies: "allow-all",
        },
      ]);
    }
    for (const fn of helperUsers.slice(0, 1)) {
      unlistedUse.push([
        `decrypts ${fn.name}'s helper values`,
        { principal: unlisted, action: "kms:Decrypt", resource: key.arn, context: { "kms:EncryptionContext:LambdaFunctionName": fn.name }, identityPolicies: "allow-all" },
      ]);
    }
    for (const [what, request] of unlistedUse) {
      add(
        of(`a principal the config does not name ${what}, with an IAM policy that allows kms:*`),
        strict ? "ExplicitlyDenied" : "Allowed",
        strict ? "keep DenyKeyUseByUnlistedPrincipals (allowIamToGrantKeyUse: false)" : "with allowIamToGrantKeyUse: true, IAM decides; set it to false to deny",
        request,
      );
    }
    add(of("a principal of the account creates a grant that is not for an AWS resource, whatever IAM allows"), "ExplicitlyDenied", "keep DenyGrantsForNonAwsResources", {
      principal: deployers[0] ?? unlisted,
      action: "kms:CreateGrant",
      resource: key.arn,
      context: { "kms:GrantIsForAWSResource": "false" },
      identityPolicies: "allow-all",
    });
    if (key.multiRegion) expectations.push(...replicationExpectations(key, principals, unlisted));
    const grants = model.grants.filter((g) => g.keyArn === key.arn);
    for (const grant of grants) {
      const granteeOperations = new Set(grants.filter((g) => g.grantee === grant.grantee).flatMap((g) => g.operations));
      expectations.push(...grantExpectations(key, grant, granteeOperations, deployers, unlisted));
    }
    for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:PutKeyPolicy"]) {
      add(of(`a role in another account calls ${action}`), "Denied", "never name other accounts in the key policy", {
        principal: otherAccount,
        action,
        resource: key.arn,
        identityPolicies: "allow-all",
      });
    }
    for (const reader of logReaders.filter(() => model.trails.some((t) => t.keyArn === key.arn))) {
      add(of(`log reader ${reader} decrypts log files through S3`), "Allowed", "list the principal in audit.readerArns", {
        principal: reader,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:ViaService": via("s3") },
      });
      add(of(`log reader ${reader} decrypts directly`), "Denied", "keep ReadersDecryptLogFiles conditioned on kms:ViaService = s3", {
        principal: reader,
        action: "kms:Decrypt",
        resource: key.arn,
      });
    }
  }

  expectations.push(
    ...trailExpectations(model, unlisted),
    ...bucketReplicationExpectations(model, unlisted),
    ...topicExpectations(model),
    ...roleTrustExpectations(model, unlisted),
  );
  for (const role of model.roles.filter((r) => deployers.includes(r.arn))) {
    add(`a principal the config does not name assumes the deploy role ${role.name}, whatever IAM allows`, "Denied", "trust only the CI identities the config names", {
      principal: unlisted,
      action: "sts:AssumeRole",
      resource: role.arn,
      identityPolicies: "allow-all",
    });
  }
  if (principals.deployerPolicy && deployers.length > 0) expectations.push(...deployerCallExpectations(model, deployers[0], principals.deployerPolicy));
  return expectations;
}

/**
 * A key being retired after a manual rotation: nobody encrypts with it any
 * more, whatever IAM allows, while what it encrypted stays readable by those
 * who read it before (helper values by their function's role, log events by
 * CloudWatch Logs, function environments, secrets and parameters by the deploy
 * pipeline through their services), and key users may move values out of it
 * (`kms:ReEncryptFrom`) into the stack's current key (`kms:ReEncryptTo`).
 */
/**
 * A multi-Region primary key: the deploy pipeline replicates it to the
 * account's other regions, and nobody, whatever IAM allows, to a region
 * outside them (its key material would leave the regions the config names).
 */
function replicationExpectations(key: ModelKey, principals: NamedPrincipals, unlisted: string): AccessExpectation[] {
  const regions = principals.keyReplicaRegions ?? [];
  const elsewhere = ["ap-southeast-2", "sa-east-1", "ca-central-1", "eu-north-1"].find((region) => region !== key.region && !regions.includes(region))!;
  const expectations: AccessExpectation[] = [];
  for (const deployer of (principals.deployers ?? []).slice(0, 1)) {
    for (const region of regions) {
      expectations.push({
        description: `deployer ${deployer} replicates key ${key.address} to ${region}`,
        expect: "Allowed",
        fix: "keep DeployPipelineReplicatesKey (EncryptionKeyProps.replicaRegions)",
        request: { principal: deployer, action: "kms:ReplicateKey", resource: key.arn, context: { "kms:ReplicaRegion": region } },
      });
    }
  }
  for (const principal of [...(principals.deployers ?? []).slice(0, 1), ...(principals.keyAdministrators ?? []).slice(0, 1), unlisted]) {
    expectations.push({
      description: `${principal} replicates key ${key.address} to ${elsewhere}, outside the account's regions, whatever IAM allows`,
      expect: "ExplicitlyDenied",
      fix: "keep DenyReplicationToOtherRegions",
      request: { principal, action: "kms:ReplicateKey", resource: key.arn, context: { "kms:ReplicaRegion": elsewhere }, identityPolicies: "allow-all" },
    });
  }
  return expectations;
}

/**
 * A constrained grant (`KeyGrant`): the deploy pipeline can create, list and
 * revoke it; nobody can create it without its constraint, with another
 * operation, or for another grantee; and the key policy denies the grantee,
 * whatever IAM allows, every use outside the grant's operations and
 * encryption context. The policy engine does not evaluate grants, so the
 * grantee's use within the grant is checked with an allow-all IAM policy
 * standing in for the grant: allowed means that no Deny stands in its way.
 */
function grantExpectations(key: ModelKey, grant: ModelGrant, granteeOperations: ReadonlySet<string>, deployers: readonly string[], unlisted: string): AccessExpectation[] {
  const expectations: AccessExpectation[] = [];
  const add = (description: string, expect: ExpectedDecision, fix: string, request: AccessRequest) =>
    expectations.push({ description: `${description} (grant ${grant.address} on key ${key.address})`, expect, fix, request });
  const contextKeys = Object.fromEntries(Object.entries(grant.encryptionContext).map(([name, value]) => [`kms:EncryptionContext:${name}`, value]));
  const createGrant = (grantee: string, operations: readonly string[], constrained: boolean) => ({
    "kms:GrantIsForAWSResource": "false",
    "kms:GranteePrincipal": grantee,
    "kms:GrantOperations": operations,
    ...(constrained && grant.constraintType ? { "kms:GrantConstraintType": grant.constraintType, ...contextKeys } : {}),
  });
  for (const deployer of deployers.slice(0, 1)) {
    add(`deployer ${deployer} creates the grant`, "Allowed", "keep DeployPipelineCreatesConstrainedGrants (EncryptionKey.addConstrainedGrant)", {
      principal: deployer,
      action: "kms:CreateGrant",
      resource: key.arn,
      context: createGrant(grant.grantee, grant.operations, true),
    });
    for (const action of ["kms:ListGrants", "kms:RevokeGrant"]) {
      add(`deployer ${deployer} calls ${action} to read or delete the grant`, "Allowed", "keep DeployPipelineManagesConstrainedGrants", {
        principal: deployer,
        action,
        resource: key.arn,
      });
    }
  }
  const creator = deployers[0] ?? unlisted;
  add(`${creator} creates the grant without its encryption-context constraint, whatever IAM allows`, "ExplicitlyDenied", "keep DenyUnconstrainedGrants", {
    principal: creator,
    action: "kms:CreateGrant",
    resource: key.arn,
    context: createGrant(grant.grantee, grant.operations, false),
    identityPolicies: "allow-all",
  });
  add(`${creator} creates a grant for ${grant.grantee} that also gives kms:ReEncryptFrom, whatever IAM allows`, "ExplicitlyDenied", "keep DenyGrantOperationsNotRegistered", {
    principal: creator,
    action: "kms:CreateGrant",
    resource: key.arn,
    context: createGrant(grant.grantee, [...grant.operations, "ReEncryptFrom"], true),
    identityPolicies: "allow-all",
  });
  add(`${creator} creates the same grant for a principal that is not a grantee, whatever IAM allows`, "ExplicitlyDenied", "keep DenyGrantsForNonAwsResources", {
    principal: creator,
    action: "kms:CreateGrant",
    resource: key.arn,
    context: createGrant(unlisted, grant.operations, true),
    identityPolicies: "allow-all",
  });
  for (const operation of grant.operations) {
    const action = `kms:${operation}`;
    add(`grantee ${grant.grantee} calls ${action} with the grant's encryption context: no Deny stands in the grant's way`, "Allowed", "keep the grantee listed (registerGrant)", {
      principal: grant.grantee,
      action,
      resource: key.arn,
      context: contextKeys,
      identityPolicies: "allow-all",
    });
    for (const [name, value] of Object.entries(grant.encryptionContext)) {
      add(
        `grantee ${grant.grantee} calls ${action} with ${name}=${value}-other, whatever IAM allows`,
        "ExplicitlyDenied",
        "keep the grantee's DenyGrantee<n>ContextOutsideGrants",
        {
          principal: grant.grantee,
          action,
          resource: key.arn,
          context: { ...contextKeys, [`kms:EncryptionContext:${name}`]: `${value}-other` },
          identityPolicies: "allow-all",
        },
      );
    }
    add(
      `grantee ${grant.grantee} calls ${action} without an encryption context, whatever IAM allows`,
      "ExplicitlyDenied",
      "keep the grantee's DenyGrantee<n>ContextOutsideGrants",
      {
        principal: grant.grantee,
        action,
        resource: key.arn,
        identityPolicies: "allow-all",
      },
    );
  }
  for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:GenerateDataKeyPair"].filter(
    (a) => !granteeOperations.has(a.slice("kms:".length)),
  )) {
    add(
      `grantee ${grant.grantee} calls ${action}, which its grants do not give, whatever IAM allows`,
      "ExplicitlyDenied",
      "keep the grantee's DenyGrantee<n>OperationsOutsideGrants",
      {
        principal: grant.grantee,
        action,
        resource: key.arn,
        context: contextKeys,
        identityPolicies: "allow-all",
      },
    );
  }
  return expectations;
}

function retiringKeyExpectations(model: StackModel, key: ModelKey, principals: NamedPrincipals, unlisted: string): AccessExpectation[] {
  const expectations: AccessExpectation[] = [];
  const add = (description: string, expect: ExpectedDecision, fix: string, request: AccessRequest) =>
    expectations.push({ description: `${description} (retiring key ${key.address})`, expect, fix, request });
  const via = (service: string) => `${service}.${key.region}.amazonaws.com`;
  const keyUsers = principals.keyUsers ?? [];
  const deployers = principals.deployers ?? [];
  const current = model.keys.find((k) => k !== key && !k.aliases.some((alias) => (principals.retiringKeyAliases ?? []).includes(alias)));
  const callers = new Set([
    ...keyUsers,
    ...deployers,
    ...(principals.helperEncrypters ?? []),
    ...(principals.keyAdministrators ?? []),
    ...model.functions.slice(0, 1).map((fn) => fn.roleArn),
    unlisted,
  ]);
  const fnName = model.functions[0]?.name ?? "any-function";
  for (const caller of callers) {
    for (const action of ["kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo"]) {
      add(`${caller} calls ${action}, whatever IAM allows`, "ExplicitlyDenied", "keep DenyEncryptionWithRetiringKey (decryptOnly)", {
        principal: caller,
        action,
        resource: key.arn,
        context: { "kms:EncryptionContext:LambdaFunctionName": fnName },
        identityPolicies: "allow-all",
      });
    }
  }
  for (const user of keyUsers) {
    add(`key user ${user} re-encrypts a value out of the key`, "Allowed", "give key users kms:ReEncryptFrom on a decryptOnly key", {
      principal: user,
      action: "kms:ReEncryptFrom",
      resource: key.arn,
    });
    if (current) {
      add(`key user ${user} re-encrypts a value into the current key ${current.address}`, "Allowed", "call allowReEncryptionInto(keyUsers) on the current key", {
        principal: user,
        action: "kms:ReEncryptTo",
        resource: current.arn,
      });
      add(`key user ${user} re-encrypts a value already under the current key ${current.address} onto it`, "Allowed", "keep ReEncryptWithinThisKey on the current key", {
        principal: user,
        action: "kms:ReEncryptFrom",
        resource: current.arn,
        context: { "kms:ReEncryptOnSameKey": "true" },
      });
      add(`key user ${user} re-encrypts a value out of the current key ${current.address} to another key`, "Denied", "condition ReEncryptWithinThisKey on kms:ReEncryptOnSameKey", {
        principal: user,
        action: "kms:ReEncryptFrom",
        resource: current.arn,
        context: { "kms:ReEncryptOnSameKey": "false" },
      });
    }
  }
  for (const fn of model.functions.filter((f) => f.helperVariables.length > 0)) {
    add(`${fn.name}'s runtime still decrypts helper values made with the key`, "Allowed", "pass the retiring keys as previousHelperValueKeys", {
      principal: fn.roleArn,
      action: "kms:Decrypt",
      resource: key.arn,
      context: { "kms:EncryptionContext:LambdaFunctionName": fn.name },
    });
  }
  for (const fn of model.functions) {
    for (const parameter of model.secrets.filter((s) => s.kind === "ssm" && Object.values(fn.environment).includes(s.name))) {
      add(
        `${fn.name}'s role still reads ${parameter.name} until its value is put again with the current key`,
        "Allowed",
        "pass the retiring keys as the parameter's previousKeys",
        {
          principal: fn.roleArn,
          action: "kms:Decrypt",
          resource: key.arn,
          context: { "kms:ViaService": via("ssm"), "kms:EncryptionContext:PARAMETER_ARN": parameter.arn },
        },
      );
    }
  }
  for (const group of model.logGroups) {
    add(`CloudWatch Logs still reads the events of ${group.name} written before the move`, "Allowed", "register the stack's log groups on the retiring key", {
      principal: via("logs"),
      action: "kms:Decrypt",
      resource: key.arn,
      context: { "kms:EncryptionContext:aws:logs:arn": group.arn },
    });
  }
  for (const deployer of deployers) {
    for (const fn of model.functions.slice(0, 1)) {
      add(`deployer ${deployer} reads ${fn.name}'s environment back through Lambda`, "Allowed", "keep DeployPipelineReadsLambdaEnvironments", {
        principal: deployer,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:ViaService": via("lambda"), "kms:EncryptionContext:aws:lambda:FunctionArn": fn.arn },
      });
      add(`deployer ${deployer} lets Lambda create a grant`, "Denied", "give a decryptOnly key no DeployPipelineCreatesGrantsForAwsResources", {
        principal: deployer,
        action: "kms:CreateGrant",
        resource: key.arn,
        context: { "kms:ViaService": via("lambda"), "kms:GrantIsForAWSResource": "true" },
      });
    }
    for (const secret of model.secrets) {
      const [service, contextKey] = secret.kind === "secretsmanager" ? ["secretsmanager", "SecretARN"] : ["ssm", "PARAMETER_ARN"];
      add(`deployer ${deployer} reads ${secret.name} back through ${service}`, "Allowed", "register the stack's secrets and parameters on the retiring key", {
        principal: deployer,
        action: "kms:Decrypt",
        resource: key.arn,
        context: { "kms:ViaService": via(service), [`kms:EncryptionContext:${contextKey}`]: secret.arn },
      });
    }
  }
  return expectations;
}

/**
 * The deploy pipeline, with only its generated policy, makes the calls the
 * AWS provider makes for each resource of the stack (the actions of
 * DEPLOYER_RESOURCE_TYPES, on ARNs the stack model builds on its own), and
 * nothing outside the stack.
 */
function deployerCallExpectations(model: StackModel, deployer: string, policy: PolicyJson): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  const identityPolicies = [{ name: "deployer policy", policy }];
  const fix = "regenerate the deployer policy; check DEPLOYER_RESOURCE_TYPES for the resource type";
  /** Every action of the type's row; `context` gives each action's request context. */
  const calls = (type: string, what: string, resource: string, context: (action: string) => Record<string, string> = () => ({})) => {
    if (!model.resourceTypes.includes(type)) return;
    for (const action of DEPLOYER_RESOURCE_TYPES[type].actions) {
      out.push({
        description: `the deployer calls ${action} on ${what}`,
        expect: "Allowed",
        fix,
        request: { principal: deployer, action, resource, context: context(action), identityPolicies },
      });
    }
  };
  const denied = (description: string, request: Omit<AccessRequest, "principal" | "identityPolicies">) =>
    out.push({
      description: `the deployer ${description}`,
      expect: "Denied",
      fix: "scope the deployer policy to the stacks' resources",
      request: { ...request, principal: deployer, identityPolicies },
    });
  const atRegion = (service: string, resource: string) => `arn:${model.partition}:${service}:${model.region}:${model.accountId}:${resource}`;

  for (const key of model.keys) {
    const tags = Object.fromEntries(Object.entries(key.tags).map(([name, value]) => [`aws:ResourceTag/${name}`, value]));
    // aws_kms_key or aws_kms_replica_key, and the grants on it.
    calls(key.address.split(".")[0], `key ${key.address}`, key.arn, () => tags);
    calls("aws_kms_grant", `the grants on key ${key.address}`, key.arn, () => tags);
    const requestTags = Object.fromEntries(Object.entries(key.tags).map(([name, value]) => [`aws:RequestTag/${name}`, value]));
    out.push({
      description: "the deployer creates a key with the stack's tags",
      expect: "Allowed",
      fix,
      request: { principal: deployer, action: "kms:CreateKey", resource: "*", context: requestTags, identityPolicies },
    });
    denied("creates a key without the stack's tags", { action: "kms:CreateKey", resource: "*" });
    denied(`changes the policy of a key without the stack's tags`, { action: "kms:PutKeyPolicy", resource: key.arn.replace(/key\/.*$/, "key/not-ours") });
  }
  for (const fn of model.functions) {
    calls("aws_lambda_function", `function ${fn.name}`, fn.arn);
    out.push({
      description: `the deployer passes ${fn.name}'s role to Lambda`,
      expect: "Allowed",
      fix,
      request: { principal: deployer, action: "iam:PassRole", resource: fn.roleArn, context: { "iam:PassedToService": "lambda.amazonaws.com" }, identityPolicies },
    });
    denied(`passes ${fn.name}'s role to another service (EC2)`, { action: "iam:PassRole", resource: fn.roleArn, context: { "iam:PassedToService": "ec2.amazonaws.com" } });
  }
  if (model.functions.length > 0)
    denied("updates the code of a function the stack does not have", { action: "lambda:UpdateFunctionCode", resource: atRegion("lambda", "function:not-in-config") });
  for (const role of model.roles) {
    // Only the calls that set a boundary carry iam:PermissionsBoundary.
    const boundary = (action: string): Record<string, string> =>
      role.boundaryArn && ["iam:CreateRole", "iam:PutRolePermissionsBoundary"].includes(action) ? { "iam:PermissionsBoundary": role.boundaryArn } : {};
    calls("aws_iam_role", `role ${role.name}`, role.arn, boundary);
    calls("aws_iam_role_policy", `role ${role.name}`, role.arn);
    if (role.boundaryArn) denied(`creates role ${role.name} without its permissions boundary`, { action: "iam:CreateRole", resource: role.arn });
  }
  if (model.roles.length > 0)
    denied("creates a role the stack does not have", { action: "iam:CreateRole", resource: `arn:${model.partition}:iam::${model.accountId}:role/not-in-config` });
  for (const secret of model.secrets) {
    if (secret.kind === "secretsmanager") {
      calls("aws_secretsmanager_secret", `secret ${secret.name}`, secret.arn);
      calls("aws_secretsmanager_secret_version", `secret ${secret.name}`, secret.arn);
      denied("reads a secret the stack does not have", { action: "secretsmanager:GetSecretValue", resource: atRegion("secretsmanager", "secret:not-in-config-AbCdEf") });
    } else {
      calls("aws_ssm_parameter", `parameter ${secret.name}`, secret.arn);
      denied("reads a parameter the stack does not have", { action: "ssm:GetParameter", resource: atRegion("ssm", "parameter/not-in-config") });
    }
  }
  for (const group of model.logGroups) calls("aws_cloudwatch_log_group", `log group ${group.name}`, group.arn);
  for (const trail of model.trails) {
    calls("aws_cloudtrail", `trail ${trail.name}`, trail.arn);
    if (trail.deliveryRoleArn) {
      out.push({
        description: `the deployer passes ${trail.name}'s delivery role to CloudTrail`,
        expect: "Allowed",
        fix,
        request: { principal: deployer, action: "iam:PassRole", resource: trail.deliveryRoleArn, context: { "iam:PassedToService": "cloudtrail.amazonaws.com" }, identityPolicies },
      });
    }
  }
  for (const bucket of model.buckets) {
    for (const type of ["aws_s3_bucket", ...bucket.configuredBy]) calls(type, `bucket ${bucket.name}`, bucket.arn);
  }
  for (const topic of model.topics) {
    calls("aws_sns_topic", `topic ${topic.name}`, topic.arn);
    calls("aws_sns_topic_policy", `topic ${topic.name}`, topic.arn);
  }
  for (const signed of model.signedCode) {
    calls("aws_signer_signing_profile", `signing profile ${signed.profileName}`, signed.profileArn);
    const allowed = (action: string, resource: string, what: string) =>
      out.push({ description: `the deployer ${what}`, expect: "Allowed", fix, request: { principal: deployer, action, resource, identityPolicies } });
    allowed("signer:StartSigningJob", signed.profileArn, `signs with profile ${signed.profileName}`);
    allowed("signer:DescribeSigningJob", atRegion("signer", "/signing-jobs/0123abcd-0000-4000-8000-000000000000"), "reads a signing job");
    calls("aws_s3_object", "the code bucket's objects", signed.objectArn.replace(/\*$/, "signed/package.zip"));
    denied(`signs with a profile the stack does not have`, { action: "signer:StartSigningJob", resource: atRegion("signer", "/signing-profiles/not_in_config") });
    denied(`uploads code to a bucket the stack does not have`, { action: "s3:PutObject", resource: `arn:${model.partition}:s3:::not-in-config/unsigned/package.zip` });
  }
  if (model.resourceTypes.includes("aws_lambda_code_signing_config"))
    calls("aws_lambda_code_signing_config", "the code signing configuration", atRegion("lambda", "code-signing-config:csc-0123456789abcdef0"));
  return out;
}

function trailExpectations(model: StackModel, unlisted: string): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  for (const trail of model.trails) {
    const bucket = model.buckets.find((b) => b.name === trail.bucketName);
    const byTrail = { "aws:SourceArn": trail.arn, "aws:SourceAccount": model.accountId };
    if (trail.keyArn) {
      out.push(
        {
          description: `CloudTrail encrypts log files of ${trail.name}`,
          expect: "Allowed",
          fix: "keep CloudTrailEncryptsLogFiles in the audit key policy",
          request: {
            principal: "cloudtrail.amazonaws.com",
            action: "kms:GenerateDataKey",
            resource: trail.keyArn,
            context: { ...byTrail, "kms:EncryptionContext:aws:cloudtrail:arn": trail.arn },
          },
        },
        {
          description: `CloudTrail describes the key of ${trail.name}`,
          expect: "Allowed",
          fix: "keep CloudTrailDescribesKey in the audit key policy",
          request: { principal: "cloudtrail.amazonaws.com", action: "kms:DescribeKey", resource: trail.keyArn, context: byTrail },
        },
        {
          description: `CloudTrail encrypts for a trail other than ${trail.name}`,
          expect: "Denied",
          fix: "condition CloudTrailEncryptsLogFiles on aws:SourceArn",
          request: {
            principal: "cloudtrail.amazonaws.com",
            action: "kms:GenerateDataKey",
            resource: trail.keyArn,
            context: { "aws:SourceArn": `${trail.arn}-other`, "aws:SourceAccount": model.accountId, "kms:EncryptionContext:aws:cloudtrail:arn": `${trail.arn}-other` },
          },
        },
      );
    }
    if (bucket) {
      out.push(
        {
          description: `CloudTrail checks the ACL of bucket ${bucket.name}`,
          expect: "Allowed",
          fix: "keep AWSCloudTrailAclCheck20150319 in the bucket policy",
          request: { principal: "cloudtrail.amazonaws.com", action: "s3:GetBucketAcl", resource: bucket.arn, context: byTrail },
        },
        {
          description: `CloudTrail writes log files of ${trail.name} to ${bucket.name}`,
          expect: "Allowed",
          fix: "keep AWSCloudTrailWrite20150319 in the bucket policy",
          request: {
            principal: "cloudtrail.amazonaws.com",
            action: "s3:PutObject",
            resource: `${bucket.arn}/AWSLogs/${model.accountId}/CloudTrail/${model.region}/file.json.gz`,
            context: { ...byTrail, "s3:x-amz-acl": "bucket-owner-full-control" },
          },
        },
        {
          description: `anyone reads ${bucket.name} without TLS, whatever IAM allows`,
          expect: "ExplicitlyDenied",
          fix: "keep DenyInsecureTransport in the bucket policy",
          request: {
            principal: unlisted,
            action: "s3:GetObject",
            resource: `${bucket.arn}/AWSLogs/${model.accountId}/CloudTrail/${model.region}/file.json.gz`,
            context: { "aws:SecureTransport": "false" },
            identityPolicies: "allow-all",
          },
        },
        {
          description: `an IAM administrator deletes a log file version of ${bucket.name}, whatever IAM allows`,
          expect: "ExplicitlyDenied",
          fix: "keep DenyDeletingLogFiles in the bucket policy",
          request: {
            principal: unlisted,
            action: "s3:DeleteObjectVersion",
            resource: `${bucket.arn}/AWSLogs/${model.accountId}/CloudTrail/${model.region}/file.json.gz`,
            identityPolicies: "allow-all",
          },
        },
      );
    }
    if (trail.deliveryRoleArn && trail.logGroupArn) {
      out.push(
        {
          description: `CloudTrail assumes the delivery role of ${trail.name}`,
          expect: "Allowed",
          fix: "let cloudtrail.amazonaws.com assume the delivery role for this trail (aws:SourceArn)",
          request: { principal: "cloudtrail.amazonaws.com", action: "sts:AssumeRole", resource: trail.deliveryRoleArn, context: byTrail },
        },
        {
          description: `CloudTrail assumes the delivery role of ${trail.name} for another trail`,
          expect: "Denied",
          fix: "condition the delivery role's trust on aws:SourceArn = the trail",
          request: {
            principal: "cloudtrail.amazonaws.com",
            action: "sts:AssumeRole",
            resource: trail.deliveryRoleArn,
            context: { ...byTrail, "aws:SourceArn": `${trail.arn}-other` },
          },
        },
        {
          description: `the delivery role writes ${trail.name}'s events to its log group`,
          expect: "Allowed",
          fix: "give the delivery role logs:PutLogEvents on the trail's log streams",
          request: { principal: trail.deliveryRoleArn, action: "logs:PutLogEvents", resource: `${trail.logGroupArn}:log-stream:${model.accountId}_CloudTrail_${model.region}` },
        },
        {
          description: `the delivery role writes to another log stream`,
          expect: "Denied",
          fix: "scope the delivery role to <account>_CloudTrail_* streams",
          request: { principal: trail.deliveryRoleArn, action: "logs:PutLogEvents", resource: `${trail.logGroupArn}:log-stream:other` },
        },
      );
    }
  }
  return out;
}

/**
 * The log bucket's replication (`audit.replication`): S3 assumes the role
 * only for this account's bucket; the role decrypts with the source bucket's
 * key only through S3 in the home region for that bucket, encrypts with the
 * replica key only through S3 in the replica's region for the replica
 * bucket, reads the source's object versions and writes replicas, and
 * nothing else (another bucket, a direct KMS call, deleting log files).
 */
function bucketReplicationExpectations(model: StackModel, unlisted: string): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  for (const replication of model.replications) {
    const role = replication.roleArn;
    const sourceArn = `arn:${model.partition}:s3:::${replication.sourceBucketName}`;
    const destinationArn = replication.destinationBucketArn;
    const logFile = (bucketArn: string) => `${bucketArn}/AWSLogs/${model.accountId}/CloudTrail/${model.region}/file.json.gz`;
    const what = `replication of ${replication.sourceBucketName}`;
    const sourceKeyArn = model.trails.find((t) => t.bucketName === replication.sourceBucketName)?.keyArn;
    const replicaKey = model.keys.find((k) => k.arn === replication.replicaKeyArn);
    const s3In = (region: string) => `s3.${region}.amazonaws.com`;
    const add = (description: string, expect: ExpectedDecision, fix: string, request: AccessRequest) => out.push({ description: `${what}: ${description}`, expect, fix, request });

    add("S3 assumes the replication role for the bucket", "Allowed", "trust s3.amazonaws.com in the replication role, with aws:SourceAccount and aws:SourceArn of the bucket", {
      principal: "s3.amazonaws.com",
      action: "sts:AssumeRole",
      resource: role,
      context: { "aws:SourceAccount": model.accountId, "aws:SourceArn": sourceArn },
    });
    add("S3 assumes the replication role for another account's bucket", "Denied", "condition the replication role's trust on aws:SourceAccount", {
      principal: "s3.amazonaws.com",
      action: "sts:AssumeRole",
      resource: role,
      context: { "aws:SourceAccount": model.accountId === "999999999999" ? "888888888888" : "999999999999", "aws:SourceArn": sourceArn },
    });
    add("S3 assumes the replication role for another bucket of the account", "Denied", "condition the replication role's trust on aws:SourceArn = the log bucket", {
      principal: "s3.amazonaws.com",
      action: "sts:AssumeRole",
      resource: role,
      context: { "aws:SourceAccount": model.accountId, "aws:SourceArn": `${sourceArn}-other` },
    });
    add("a principal the config does not name assumes the replication role, whatever IAM allows", "Denied", "trust s3.amazonaws.com only", {
      principal: unlisted,
      action: "sts:AssumeRole",
      resource: role,
      identityPolicies: "allow-all",
    });
    add("the role reads the bucket's replication configuration", "Allowed", "give the role s3:GetReplicationConfiguration on the bucket", {
      principal: role,
      action: "s3:GetReplicationConfiguration",
      resource: sourceArn,
    });
    add("the role reads a log file version to replicate", "Allowed", "give the role s3:GetObjectVersionForReplication on the bucket's objects", {
      principal: role,
      action: "s3:GetObjectVersionForReplication",
      resource: logFile(sourceArn),
    });
    add("the role reads a log file (not for replication)", "Denied", "give the role the replication actions only", {
      principal: role,
      action: "s3:GetObject",
      resource: logFile(sourceArn),
    });
    add("the role deletes a log file version", "Denied", "give the role the replication actions only", {
      principal: role,
      action: "s3:DeleteObjectVersion",
      resource: logFile(sourceArn),
    });
    add("the role writes a replica", "Allowed", "give the role s3:ReplicateObject on the replica bucket's objects", {
      principal: role,
      action: "s3:ReplicateObject",
      resource: logFile(destinationArn),
    });
    add("the role writes into another bucket", "Denied", "scope s3:ReplicateObject to the replica bucket", {
      principal: role,
      action: "s3:ReplicateObject",
      resource: `arn:${model.partition}:s3:::not-in-config/file`,
    });
    if (sourceKeyArn) {
      add(
        "the role decrypts a log file through S3 in the home region",
        "Allowed",
        "let the role decrypt with the audit key through S3 for the log bucket (ReplicationDecryptsLogFiles)",
        {
          principal: role,
          action: "kms:Decrypt",
          resource: sourceKeyArn,
          context: { "kms:ViaService": s3In(model.region), "kms:EncryptionContext:aws:s3:arn": sourceArn },
        },
      );
      add("the role decrypts with the audit key directly, not through S3", "Denied", "condition the role's kms:Decrypt on kms:ViaService", {
        principal: role,
        action: "kms:Decrypt",
        resource: sourceKeyArn,
        context: { "kms:EncryptionContext:aws:s3:arn": sourceArn },
      });
      add("the role decrypts another bucket's objects with the audit key", "Denied", "condition the role's kms:Decrypt on the log bucket's encryption context", {
        principal: role,
        action: "kms:Decrypt",
        resource: sourceKeyArn,
        context: { "kms:ViaService": s3In(model.region), "kms:EncryptionContext:aws:s3:arn": `arn:${model.partition}:s3:::not-in-config` },
      });
      add("the role encrypts with the audit key", "Denied", "give the role kms:Decrypt only on the audit key", {
        principal: role,
        action: "kms:GenerateDataKey",
        resource: sourceKeyArn,
        context: { "kms:ViaService": s3In(model.region), "kms:EncryptionContext:aws:s3:arn": sourceArn },
      });
    }
    if (replicaKey) {
      const replicaContext = { "kms:ViaService": s3In(replicaKey.region), "kms:EncryptionContext:aws:s3:arn": destinationArn };
      add(
        "the role encrypts a replica through S3 in the replica region (S3 Bucket Key)",
        "Allowed",
        "let the role use the replica key through S3 for the replica bucket (ReplicationEncryptsReplicas)",
        {
          principal: role,
          action: "kms:GenerateDataKey",
          resource: replicaKey.arn,
          context: replicaContext,
        },
      );
      add(
        "the role encrypts a replica object through S3 in the replica region",
        "Allowed",
        "let the role use the replica key through S3 for the replica bucket (ReplicationEncryptsReplicas)",
        {
          principal: role,
          action: "kms:Encrypt",
          resource: replicaKey.arn,
          context: { ...replicaContext, "kms:EncryptionContext:aws:s3:arn": logFile(destinationArn) },
        },
      );
      add("the role encrypts with the replica key through S3 in another region", "Denied", "condition the role's use of the replica key on kms:ViaService in the replica region", {
        principal: role,
        action: "kms:GenerateDataKey",
        resource: replicaKey.arn,
        context: { ...replicaContext, "kms:ViaService": `s3.${replicaKey.region === "us-east-1" ? "us-west-2" : "us-east-1"}.amazonaws.com` },
      });
      add("the role decrypts replicas", "Denied", "give the role kms:Encrypt and kms:GenerateDataKey only on the replica key", {
        principal: role,
        action: "kms:Decrypt",
        resource: replicaKey.arn,
        context: replicaContext,
      });
    }
  }
  return out;
}

function topicExpectations(model: StackModel): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  for (const topic of model.topics) {
    const trail = model.trails.find((t) => t.snsTopicName === topic.name);
    if (trail) {
      out.push(...logDeliveryTopicExpectations(topic, trail));
      continue;
    }
    const fromAccount = { "aws:SourceAccount": model.accountId };
    out.push({
      description: `CloudWatch alarms publish to ${topic.name}`,
      expect: "Allowed",
      fix: "keep CloudWatchAlarmsPublish in the topic policy",
      request: { principal: "cloudwatch.amazonaws.com", action: "sns:Publish", resource: topic.arn, context: fromAccount },
    });
    if (topic.keyArn) {
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        out.push({
          description: `CloudWatch alarms use the key of the encrypted topic ${topic.name} (${action})`,
          expect: "Allowed",
          fix: "keep CloudWatchAlarmsPublishToEncryptedTopics in the key policy",
          request: { principal: "cloudwatch.amazonaws.com", action, resource: topic.keyArn, context: { ...fromAccount, "kms:EncryptionContext:aws:sns:topicArn": topic.arn } },
        });
        out.push({
          description: `CloudWatch alarms use the key of ${topic.name} for another topic (${action})`,
          expect: "Denied",
          fix: "condition CloudWatchAlarmsPublishToEncryptedTopics on kms:EncryptionContext:aws:sns:topicArn",
          request: {
            principal: "cloudwatch.amazonaws.com",
            action,
            resource: topic.keyArn,
            context: { ...fromAccount, "kms:EncryptionContext:aws:sns:topicArn": `${topic.arn}-other` },
          },
        });
      }
    }
  }
  return out;
}

/** A trail's log delivery topic: that trail publishes, and uses the key for this topic only; no other trail, nor CloudWatch, publishes. */
function logDeliveryTopicExpectations(topic: StackModel["topics"][number], trail: StackModel["trails"][number]): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  const publish = (description: string, expect: ExpectedDecision, fix: string, principal: string, sourceArn: string) =>
    out.push({ description, expect, fix, request: { principal, action: "sns:Publish", resource: topic.arn, context: { "aws:SourceArn": sourceArn } } });
  publish(
    `the trail ${trail.name} publishes a log file delivery to ${topic.name}`,
    "Allowed",
    "keep CloudTrailPublishes in the topic policy",
    "cloudtrail.amazonaws.com",
    trail.arn,
  );
  publish(
    `another trail publishes to ${topic.name}`,
    "Denied",
    "condition CloudTrailPublishes on aws:SourceArn = the trail's ARN",
    "cloudtrail.amazonaws.com",
    `${trail.arn}-other`,
  );
  publish(
    `CloudWatch alarms publish to the log delivery topic ${topic.name}`,
    "Denied",
    "leave CloudWatch out of the log delivery topic's policy",
    "cloudwatch.amazonaws.com",
    trail.arn,
  );
  if (topic.keyArn) {
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      const useKey = (description: string, expect: ExpectedDecision, fix: string, topicArn: string) =>
        out.push({
          description,
          expect,
          fix,
          request: { principal: "cloudtrail.amazonaws.com", action, resource: topic.keyArn!, context: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
        });
      useKey(`CloudTrail uses the key of the encrypted topic ${topic.name} (${action})`, "Allowed", "keep CloudTrailPublishesToLogDeliveryTopic in the key policy", topic.arn);
      useKey(
        `CloudTrail uses the key of ${topic.name} for another topic (${action})`,
        "Denied",
        "condition CloudTrailPublishesToLogDeliveryTopic on kms:EncryptionContext:aws:sns:topicArn",
        `${topic.arn}-other`,
      );
    }
  }
  return out;
}

function roleTrustExpectations(model: StackModel, unlisted: string): AccessExpectation[] {
  const out: AccessExpectation[] = [];
  for (const fn of model.functions) {
    out.push(
      {
        description: `Lambda assumes ${fn.name}'s execution role`,
        expect: "Allowed",
        fix: "trust lambda.amazonaws.com in the role",
        request: { principal: "lambda.amazonaws.com", action: "sts:AssumeRole", resource: fn.roleArn },
      },
      {
        description: `a principal the config does not name assumes ${fn.name}'s execution role, whatever IAM allows`,
        expect: "Denied",
        fix: "trust lambda.amazonaws.com only",
        request: { principal: unlisted, action: "sts:AssumeRole", resource: fn.roleArn, identityPolicies: "allow-all" },
      },
    );
  }
  return out;
}
