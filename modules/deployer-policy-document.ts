import { StackView, SynthesizedResource } from "./compliance/compliance-rule";
import { AwsProviderSettings, literalStrings, readAwsProviders } from "./compliance/rules/support";
import { formatArn } from "./aws-environment";
import { partitionForRegion } from "./private/aws-limits";
import { DEPLOYER_RESOURCE_TYPES, DeployerResourceType, ResourceArnContext, UnscopedAction } from "./deployer-actions";
import { PolicyConditions, PolicyStatement, pascalCase } from "./policy-document";
import { PASS_ROLE_ACTIONS, ROLE_BOUNDARY_ACTIONS, STATE_BUCKET_LIST_ACTIONS, STATE_KEY_ACTIONS, STATE_LOCK_TABLE_ACTIONS, STATE_OBJECT_ACTIONS } from "./private/perms";

/** The deploy pipeline's policy for some stacks, and what a reader needs to know about it. */
export interface DeployerPolicyDocument {
  /** The policy's statements. */
  readonly statements: readonly PolicyStatement[];
  /** The actions granted on `Resource: "*"`, each with the reason (AWS offers no narrower resource for them). */
  readonly unscopedActions: readonly { readonly action: string; readonly reason: string }[];
  /**
   * The tags every key, secret and parameter of the stacks carries (their
   * own tags and the provider's default tags); the key statements are scoped
   * by them. Empty when they share none.
   */
  readonly commonTags: Readonly<Record<string, string>>;
  /** Where the policy is wider than it could be, and how to narrow it. */
  readonly warnings: readonly string[];
}

/** The resource types whose tags scope the policy (see `DeployerPolicyDocument.commonTags`). */
const TAG_SCOPED_TYPES = ["aws_kms_key", "aws_secretsmanager_secret", "aws_ssm_parameter"];

/** The Sid of the statement that holds the actions without resource-level permissions. */
export const UNSCOPED_SID = "ActionsWithoutResourceLevelPermissions";

/** ARNs gathered for one resource type, over every stack. */
interface TypeScope {
  readonly arns: Set<string>;
  readonly destroyable: Set<string>;
}

const REFERENCE = /^\$\{([a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}$/;

/**
 * The IAM policy a deploy pipeline needs to create, read, update and destroy
 * exactly what `stacks` contain (one account's stacks), from their
 * synthesized resources and {@link DEPLOYER_RESOURCE_TYPES}:
 * - each resource type's actions on the ARNs of its resources (names come
 *   from the configuration, so they are known before anything exists);
 *   destroy actions only for resources without `prevent_destroy`;
 * - KMS keys, whose ARNs are unknown until they exist, by the tags every key
 *   carries (`aws:ResourceTag`, and `aws:RequestTag` to create them), and
 *   the grants on them the same way;
 * - `iam:PassRole` only for the roles the resources are given, only to the
 *   service that receives them; roles with a permissions boundary may only
 *   be created with it;
 * - the S3 state backend's objects, lock table and key, unless the backend
 *   assumes a role of its own;
 * - the actions AWS offers no resource-level permission for, on `"*"`.
 * Throws for a resource type the table has no row for.
 */
export function deployerPolicyDocument(views: readonly StackView[]): DeployerPolicyDocument {
  const scopes = new Map<string, TypeScope>();
  const scopedTags: Record<string, string>[] = [];
  const keyRegions = new Set<string>();
  let multiRegionKeys = false;
  /** Actions of the keys, replica keys and the resources on them (grants), all scoped by the keys' tags. */
  const keyResourceActions = new Set<string>();
  const passRoles = new Map<string, Set<string>>();
  /** Sid → actions and ARNs of `alsoOn`. */
  const alsoOn = new Map<string, { actions: readonly string[]; arns: Set<string> }>();
  const boundaries = new Map<string, Set<string>>();
  const unscoped = new Map<string, UnscopedAction>();
  let partition = "aws";
  let accountId = "";

  for (const view of views) {
    const providers = readAwsProviders(view.json, `deployer policy, stack ${view.stackName}`);
    const resourcesByAddress = new Map(view.resources.map((r) => [r.address, r]));
    for (const resource of view.resources) {
      const row = rowFor(view, resource);
      const provider = providerOf(view, providers, resource);
      partition = partitionForRegion(provider.region);
      accountId = provider.accountId;
      const context = arnContext(view, resource, provider);
      const destroyable = (resource.config.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy !== true;
      for (const action of row.unscoped ?? []) {
        if (action.onlyWith !== undefined && resource.config[action.onlyWith] === undefined) continue;
        if (!unscoped.has(action.action)) unscoped.set(action.action, action);
      }
      if (TAG_SCOPED_TYPES.includes(resource.type)) scopedTags.push({ ...provider.defaultTags, ...literalStrings(resource.config.tags) });
      if (row.onKeys) {
        // A grant has no prevent_destroy, and any change to it is a replacement: always destroyable.
        for (const action of [...row.actions, ...(row.destroyActions ?? [])]) keyResourceActions.add(action);
        continue;
      }
      if (!row.arns && !row.parent) {
        // A key or a replica key.
        keyRegions.add(provider.region);
        multiRegionKeys ||= resource.config.multi_region === true;
        for (const action of [...row.actions, ...(destroyable ? (row.destroyActions ?? []) : [])]) keyResourceActions.add(action);
        continue;
      }
      const references = { view, providers, byAddress: resourcesByAddress };
      const arns = row.arns ? row.arns(context) : parentArns(resource, row, context, references);
      const scope = scopes.get(resource.type) ?? { arns: new Set<string>(), destroyable: new Set<string>() };
      scopes.set(resource.type, scope);
      for (const arn of arns) {
        scope.arns.add(arn);
        if (destroyable) scope.destroyable.add(arn);
      }
      if (row.passesRole) {
        const roles = passRoles.get(row.passesRole.toService) ?? new Set<string>();
        passRoles.set(row.passesRole.toService, roles);
        for (const arn of referencedArns(resource, row.passesRole.attribute, references)) roles.add(arn);
      }
      if (row.alsoOn) {
        const sid = `Manage${pascalCase(resource.type.replace(/^aws_/, ""))}Targets`;
        const entry = alsoOn.get(sid) ?? { actions: row.alsoOn.actions, arns: new Set<string>() };
        alsoOn.set(sid, entry);
        for (const arn of referencedArns(resource, row.alsoOn.attribute, references)) entry.arns.add(arn);
      }
      const boundary = resource.config.permissions_boundary;
      if (resource.type === "aws_iam_role" && typeof boundary === "string") {
        const roles = boundaries.get(boundary) ?? new Set<string>();
        boundaries.set(boundary, roles);
        for (const arn of arns) roles.add(arn);
      }
    }
  }

  const statements: PolicyStatement[] = [];
  const warnings: string[] = [];
  const commonTags = Object.fromEntries(
    Object.entries(scopedTags[0] ?? {}).filter(([name, value]) => !name.startsWith("aws:") && scopedTags.every((tags) => tags[name] === value)),
  );
  if (keyRegions.size > 0) statements.push(...keyStatements(commonTags, [...keyRegions], partition, accountId, [...keyResourceActions], warnings));
  if (multiRegionKeys) {
    // Creating a multi-Region primary key creates KMS's service-linked role, if the account has none yet
    // (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-auth.html#mrk-auth-create-primary).
    statements.push(
      new PolicyStatement({
        sid: "CreateMultiRegionKeyServiceLinkedRole",
        actions: ["iam:CreateServiceLinkedRole"],
        resources: [`arn:${partition}:iam::${accountId}:role/aws-service-role/mrk.kms.amazonaws.com/AWSServiceRoleForKeyManagementServiceMultiRegionKeys`],
        conditions: { StringEquals: { "iam:AWSServiceName": "mrk.kms.amazonaws.com" } },
      }),
    );
  }
  for (const type of [...scopes.keys()].sort()) {
    const row = DEPLOYER_RESOURCE_TYPES[type];
    const scope = scopes.get(type)!;
    const name = pascalCase(type.replace(/^aws_/, ""));
    let actions = [...row.actions];
    if (type === "aws_iam_role" && boundaries.size > 0) {
      actions = actions.filter((action) => !(ROLE_BOUNDARY_ACTIONS as readonly string[]).includes(action));
      const unbounded = [...scope.arns].filter((arn) => ![...boundaries.values()].some((roles) => roles.has(arn)));
      if (unbounded.length > 0) statements.push(new PolicyStatement({ sid: "CreateRolesWithoutBoundary", actions: ROLE_BOUNDARY_ACTIONS, resources: unbounded.sort() }));
      [...boundaries].forEach(([boundary, roles], i) =>
        statements.push(
          new PolicyStatement({
            sid: `CreateRolesWithBoundary${i === 0 ? "" : i + 1}`,
            actions: ROLE_BOUNDARY_ACTIONS,
            resources: [...roles].sort(),
            conditions: { StringEquals: { "iam:PermissionsBoundary": boundary } },
          }),
        ),
      );
    }
    statements.push(new PolicyStatement({ sid: `Manage${name}`, actions, resources: [...scope.arns].sort() }));
    if (row.destroyActions && scope.destroyable.size > 0) {
      statements.push(new PolicyStatement({ sid: `Destroy${name}`, actions: row.destroyActions, resources: [...scope.destroyable].sort() }));
    }
  }
  for (const [sid, entry] of alsoOn) statements.push(new PolicyStatement({ sid, actions: entry.actions, resources: [...entry.arns].sort() }));
  for (const [service, roles] of [...passRoles].sort()) {
    statements.push(
      new PolicyStatement({
        sid: `PassRolesTo${pascalCase(service.split(".")[0])}`,
        actions: PASS_ROLE_ACTIONS,
        resources: [...roles].sort(),
        conditions: { StringEquals: { "iam:PassedToService": service } },
      }),
    );
  }
  statements.push(...stateBackendStatements(views, partition, warnings));
  const keyCreation = new Set((DEPLOYER_RESOURCE_TYPES.aws_kms_key.unscoped ?? []).map((u) => u.action));
  const plainUnscoped = [...unscoped.keys()].filter((action) => !keyCreation.has(action)).sort();
  if (plainUnscoped.length > 0) statements.push(new PolicyStatement({ sid: UNSCOPED_SID, actions: plainUnscoped, resources: ["*"] }));
  return { statements: mergeSameScope(statements), unscopedActions: [...unscoped.values()].sort((a, b) => a.action.localeCompare(b.action)), commonTags, warnings };
}

/**
 * Keys: created with, and then managed by, the tags every key of the
 * account carries. kms:TagResource is needed at creation for the tags, and
 * KMS checks it against every key of the account and region
 * (https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html).
 */
function keyStatements(
  commonTags: Readonly<Record<string, string>>,
  regions: string[],
  partition: string,
  accountId: string,
  /** The actions of the keys, replica keys and grants on them, which are all scoped like the keys. */
  keyActions: readonly string[],
  warnings: string[],
): PolicyStatement[] {
  const common = Object.entries(commonTags);
  const row = DEPLOYER_RESOURCE_TYPES.aws_kms_key;
  const keyArns = regions.sort().map((region) => `arn:${partition}:kms:${region}:${accountId}:key/*`);
  if (common.length === 0) {
    warnings.push(
      'the keys, secrets and parameters carry no tag in common, so the deploy pipeline may manage every KMS key of the account in these regions; give them a common tag (defaultTags, e.g. {"Project": "payments"}) to limit it to ours',
    );
  }
  const withTags = (prefix: string): PolicyConditions | undefined =>
    common.length > 0 ? { StringEquals: Object.fromEntries(common.map(([name, value]) => [`${prefix}/${name}`, value])) } : undefined;
  return [
    new PolicyStatement({
      sid: "CreateKmsKeys",
      actions: [...(row.unscoped ?? []).map((u) => u.action), "kms:TagResource"],
      resources: ["*"],
      conditions: withTags("aws:RequestTag"),
    }),
    new PolicyStatement({
      sid: "ManageKmsKeys",
      actions: keyActions,
      resources: keyArns,
      conditions: withTags("aws:ResourceTag"),
    }),
  ];
}

/** The S3 backend's state objects, lock and key; nothing when the backend assumes its own role or state is local. */
function stateBackendStatements(views: readonly StackView[], partition: string, warnings: string[]): PolicyStatement[] {
  const objects = new Set<string>();
  const buckets = new Set<string>();
  const tables = new Set<string>();
  const keys = new Set<string>();
  for (const view of views) {
    const backend = ((view.json.terraform as Record<string, unknown> | undefined)?.backend as Record<string, unknown> | undefined)?.s3 as Record<string, unknown> | undefined;
    if (!backend || backend.assume_role || backend.role_arn) continue;
    const bucket = String(backend.bucket);
    buckets.add(`arn:${partition}:s3:::${bucket}`);
    objects.add(`arn:${partition}:s3:::${bucket}/${String(backend.key)}`);
    if (backend.use_lockfile === true) objects.add(`arn:${partition}:s3:::${bucket}/${String(backend.key)}.tflock`);
    if (typeof backend.dynamodb_table === "string") tables.add(`arn:${partition}:dynamodb:${String(backend.region)}:*:table/${backend.dynamodb_table}`);
    if (typeof backend.kms_key_id === "string") {
      if (/^arn:[^:]+:kms:[^:]+:\d{12}:key\//.test(backend.kms_key_id)) keys.add(backend.kms_key_id);
      else
        warnings.push(
          `the state backend's kms_key_id "${backend.kms_key_id}" is not a key ARN, so the deployer policy cannot name it; give the pipeline kms:Decrypt, kms:Encrypt and kms:GenerateDataKey on the state key yourself, or configure the key ARN`,
        );
    }
  }
  if (buckets.size === 0) return [];
  const statements = [
    new PolicyStatement({ sid: "ListStateBucket", actions: STATE_BUCKET_LIST_ACTIONS, resources: [...buckets].sort() }),
    new PolicyStatement({ sid: "ReadWriteState", actions: STATE_OBJECT_ACTIONS, resources: [...objects].sort() }),
  ];
  if (tables.size > 0) statements.push(new PolicyStatement({ sid: "LockState", actions: STATE_LOCK_TABLE_ACTIONS, resources: [...tables].sort() }));
  if (keys.size > 0) statements.push(new PolicyStatement({ sid: "EncryptState", actions: STATE_KEY_ACTIONS, resources: [...keys].sort() }));
  return statements;
}

/** Statements with the same resources and conditions become one (e.g. a bucket and its settings). */
function mergeSameScope(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const merged: PolicyStatement[] = [];
  const scopeOf = (s: PolicyStatement) => JSON.stringify([s.resources, s.conditions ?? null]);
  for (const statement of statements) {
    const index = merged.findIndex((m) => scopeOf(m) === scopeOf(statement));
    if (index < 0) {
      merged.push(statement);
      continue;
    }
    const first = merged[index];
    merged[index] = new PolicyStatement({ sid: first.sid, actions: [...first.actions, ...statement.actions], resources: first.resources, conditions: first.conditions });
  }
  return merged;
}

function rowFor(view: StackView, resource: SynthesizedResource): DeployerResourceType {
  const row = DEPLOYER_RESOURCE_TYPES[resource.type];
  if (!row) {
    throw new Error(
      `deployer policy, stack ${view.stackName}: ${resource.address} is of type ${resource.type}, which the deployer action table (DEPLOYER_RESOURCE_TYPES) has no row for; add the actions the AWS provider calls to create, read, update and delete it`,
    );
  }
  return row;
}

function providerOf(view: StackView, providers: Map<string, AwsProviderSettings>, resource: SynthesizedResource): AwsProviderSettings {
  const name = typeof resource.config.provider === "string" ? resource.config.provider : "aws";
  const provider = providers.get(name);
  if (!provider) throw new Error(`deployer policy, stack ${view.stackName}: ${resource.address} uses provider ${name}, which the stack does not define`);
  return provider;
}

function arnContext(view: StackView, resource: SynthesizedResource, provider: AwsProviderSettings): ResourceArnContext {
  const partition = partitionForRegion(provider.region);
  return {
    partition,
    attribute(name, fallback) {
      const value = resource.config[name];
      if (value === undefined && fallback !== undefined) return fallback;
      if (typeof value !== "string" || value.includes("${")) {
        throw new Error(
          `deployer policy, stack ${view.stackName}: ${resource.address}.${name} is ${JSON.stringify(value)}, not a literal name, so the policy cannot name its ARN; give the resource a literal ${name}`,
        );
      }
      return value;
    },
    arn: (service, name, options = {}) => formatArn({ accountId: provider.accountId, region: provider.region, partition }, service, name, options),
  };
}

/** What resolving a reference needs: the stack, its providers and its resources by address. */
interface References {
  readonly view: StackView;
  readonly providers: Map<string, AwsProviderSettings>;
  readonly byAddress: Map<string, SynthesizedResource>;
}

/** The ARNs of the resource `resource` configures (see `DeployerResourceType.parent`). */
function parentArns(resource: SynthesizedResource, row: DeployerResourceType, context: ResourceArnContext, references: References): readonly string[] {
  const { attribute, literal } = row.parent!;
  const value = resource.config[attribute];
  if (typeof value === "string" && !value.includes("${") && literal) return literal(value, context);
  return referencedArns(resource, attribute, references);
}

/**
 * The ARNs of the resource that `resource.<attribute>` refers to
 * (`${type.name.attr}`), built with that resource's row; a literal ARN as it is.
 */
function referencedArns(resource: SynthesizedResource, attribute: string, { view, providers, byAddress }: References): readonly string[] {
  const value = resource.config[attribute];
  if (typeof value === "string" && value.startsWith("arn:") && !value.includes("${")) return [value];
  const match = typeof value === "string" ? REFERENCE.exec(value) : null;
  const target = match ? byAddress.get(`${match[1]}.${match[2]}`) : undefined;
  const row = target ? DEPLOYER_RESOURCE_TYPES[target.type] : undefined;
  if (!target || !row?.arns) {
    throw new Error(
      `deployer policy, stack ${view.stackName}: ${resource.address}.${attribute} is ${JSON.stringify(value)}; the policy needs an ARN, or a reference to a resource of the same stack whose ARN it can name`,
    );
  }
  return row.arns(arnContext(view, target, providerOf(view, providers, target)));
}
