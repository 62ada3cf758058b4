import { IConstruct } from "constructs";

/** Node metadata type under which suppressions are stored on the construct (visible in the construct tree). */
export const SUPPRESSION_METADATA_TYPE = "cdktf-lambda-kms:compliance-suppression";

/** The shortest reason accepted: a written sentence, not "ok" or a ticket number. */
export const MIN_SUPPRESSION_REASON_LENGTH = 20;

export interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
  /** Path of the construct the suppression was attached to (it applies to its children too). */
  readonly path: string;
}

/**
 * Suppresses compliance rule `ruleId` for `scope` and every construct below it.
 *
 * Suppressions are never silent: the reason is mandatory (at least a sentence) and every suppressed
 * finding is recorded, with its reason, in compliance.json and in the SARIF report.
 *
 * @example suppressRule(legacyFunction, "LAMBDA-001", "Migrated next quarter; the function holds no secrets until then.");
 */
export function suppressRule(scope: IConstruct, ruleId: string, reason: string): void {
  const where = scope.node.path || "<root>";
  if (typeof ruleId !== "string" || ruleId.trim() === "") {
    throw new Error(`suppressRule on ${where}: the rule id is empty; pass the id of the rule to suppress, e.g. "KMS-001"`);
  }
  const text = typeof reason === "string" ? reason.trim() : "";
  if (text.length < MIN_SUPPRESSION_REASON_LENGTH || !/\s/.test(text)) {
    throw new Error(
      `suppression of ${ruleId} on ${where} is refused: a suppression needs a written reason of at least a sentence ` +
        `(${MIN_SUPPRESSION_REASON_LENGTH} characters or more, with spaces); received ${JSON.stringify(reason)}`,
    );
  }
  scope.node.addMetadata(SUPPRESSION_METADATA_TYPE, { ruleId, reason: text });
}

/** The suppressions attached directly to `scope` (not inherited ones). */
export function suppressionsOn(scope: IConstruct): Suppression[] {
  return scope.node.metadata
    .filter((m) => m.type === SUPPRESSION_METADATA_TYPE)
    .map((m) => {
      const data = m.data as { ruleId: string; reason: string };
      return { ruleId: data.ruleId, reason: data.reason, path: scope.node.path };
    });
}

/**
 * The nearest suppression of `ruleId` on the construct at `path` (as in `"//".metadata.path`) or on
 * any of its ancestors, searching from `root` (usually the app). If no construct has exactly that
 * path, the deepest existing ancestor is used.
 */
export function suppressionFor(root: IConstruct, path: string, ruleId: string): Suppression | undefined {
  for (let scope: IConstruct | undefined = findDeepest(root, path); scope; scope = scope.node.scope) {
    const found = suppressionsOn(scope).filter((s) => s.ruleId === ruleId);
    if (found.length > 0) return found[found.length - 1];
  }
  return undefined;
}

function findDeepest(root: IConstruct, path: string): IConstruct {
  const rootPath = root.node.path;
  let rest = path;
  if (rootPath && (path === rootPath || path.startsWith(`${rootPath}/`))) rest = path.slice(rootPath.length);
  let current = root;
  for (const id of rest.split("/").filter((s) => s !== "")) {
    const child = current.node.tryFindChild(id);
    if (!child) break;
    current = child;
  }
  return current;
}
