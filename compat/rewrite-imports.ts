/**
 * Rewrites the module specifiers of one TypeScript source from CDK for
 * Terraform (cdktf, archived) to CDK Terrain (cdktn), for `npm run
 * check:cdktn`. Only module specifiers change, and only to exactly what a
 * rule below says: nothing else in the text is touched. A specifier that
 * names a cdktf package but matches no rule is reported, never passed
 * through, so the check cannot pass on code it did not really move.
 */
import * as ts from "typescript";

/** One rule: a specifier matching `from` becomes `to(match)`. */
interface RewriteRule {
  readonly from: RegExp;
  readonly to: (match: RegExpExecArray) => string;
  /** For messages, e.g. `cdktf → cdktn`. */
  readonly summary: string;
}

/**
 * What the rewrite covers: the package root of the construct library, deep
 * imports of single provider resources (the only way this project imports
 * provider classes; see the lint rule), and the provider package's
 * package.json (read for the hashicorp/aws version the bindings were
 * generated for; @cdktn packages carry the same `cdktf.provider` field next
 * to their own `cdktn.provider`).
 */
export const REWRITE_RULES: readonly RewriteRule[] = [
  { from: /^cdktf$/, to: () => "cdktn", summary: "cdktf → cdktn" },
  {
    from: /^@cdktf\/provider-aws\/lib\/(?!index$)([a-z0-9]+(?:-[a-z0-9]+)*)$/,
    to: (m) => `@cdktn/provider-aws/lib/${m[1]}`,
    summary: "@cdktf/provider-aws/lib/<resource> → @cdktn/provider-aws/lib/<resource>",
  },
  // The module whose token stack traces stacks/stack-traces.ts switches off; CDK Terrain has the same file.
  {
    from: /^cdktf\/lib\/tokens\/private\/stack-trace$/,
    to: () => "cdktn/lib/tokens/private/stack-trace",
    summary: "cdktf/lib/tokens/private/stack-trace → cdktn/lib/tokens/private/stack-trace",
  },
  // The module of the Reference token whose resolve stacks/skip-preparing-resolve.ts guards; CDK Terrain has the same file.
  {
    from: /^cdktf\/lib\/tfExpression$/,
    to: () => "cdktn/lib/tfExpression",
    summary: "cdktf/lib/tfExpression → cdktn/lib/tfExpression",
  },
  { from: /^@cdktf\/provider-aws\/package\.json$/, to: () => "@cdktn/provider-aws/package.json", summary: "@cdktf/provider-aws/package.json → @cdktn/provider-aws/package.json" },
];

/** Module names that belong to CDK for Terraform: cdktf and cdktf-cli with their subpaths, and the @cdktf scope. */
const CDKTF_SPECIFIER = /^(?:(?:cdktf|cdktf-cli)(?:\/.*)?|@cdktf\/.+)$/;

export interface SpecifierProblem {
  readonly line: number;
  readonly specifier: string;
  readonly reason: string;
}

export interface RewriteResult {
  readonly text: string;
  /** Specifiers that were rewritten, in source order. */
  readonly rewritten: ReadonlyArray<{ readonly line: number; readonly from: string; readonly to: string }>;
  /** cdktf specifiers the rules do not cover, and string literals naming a cdktf package outside a specifier. */
  readonly problems: readonly SpecifierProblem[];
}

/** Whether `node` is the module specifier of an import, export, require, dynamic import, import type or module augmentation. */
function isModuleSpecifier(node: ts.StringLiteralLike): boolean {
  const parent = node.parent;
  if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) return parent.moduleSpecifier === node;
  if (ts.isExternalModuleReference(parent)) return parent.expression === node;
  if (ts.isModuleDeclaration(parent)) return parent.name === node;
  if (ts.isLiteralTypeNode(parent)) return ts.isImportTypeNode(parent.parent) && parent.parent.argument === parent;
  if (ts.isCallExpression(parent) && parent.arguments[0] === node) {
    const callee = parent.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
    if (ts.isIdentifier(callee) && callee.text === "require") return true;
    // require.resolve("...")
    return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "require" && callee.name.text === "resolve";
  }
  return false;
}

export function rewriteImports(fileName: string, text: string): RewriteResult {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const edits: Array<{ start: number; end: number; to: string }> = [];
  const rewritten: Array<{ line: number; from: string; to: string }> = [];
  const problems: SpecifierProblem[] = [];

  for (const ref of [...source.referencedFiles, ...source.typeReferenceDirectives, ...source.libReferenceDirectives]) {
    if (CDKTF_SPECIFIER.test(ref.fileName))
      problems.push({ line: lineOf(ref.pos), specifier: ref.fileName, reason: "triple-slash reference to a cdktf package: the rewrite covers module specifiers only" });
  }

  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const specifier = node.text;
      if (CDKTF_SPECIFIER.test(specifier)) {
        const line = lineOf(node.getStart(source));
        if (!isModuleSpecifier(node)) {
          problems.push({ line, specifier, reason: "string naming a cdktf package outside an import, export or require: the rewrite would miss it" });
        } else {
          const rule = REWRITE_RULES.map((r) => ({ r, m: r.from.exec(specifier) })).find(({ m }) => m !== null);
          if (!rule?.m) {
            problems.push({ line, specifier, reason: `no rewrite rule covers this specifier (rules: ${REWRITE_RULES.map((r) => r.summary).join(", ")})` });
          } else {
            const to = rule.r.to(rule.m);
            // Inside the quotes: the literal's own quoting stays as written.
            edits.push({ start: node.getStart(source) + 1, end: node.getEnd() - 1, to });
            rewritten.push({ line, from: specifier, to });
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.to + out.slice(edit.end);
  return { text: out, rewritten, problems };
}
