// Where a value written inside a call's object-literal argument is: `defineMesh({ telemetry: { metrics: { port:
// 8080 } } }, …)` has no call site of its own for `port` (sites are captured per call, src/dsl/site.ts), so a
// diagnostic about it would point at `defineMesh(`. Given the call's location, this reads the file, finds the call
// there with TypeScript's parser (loaded only when a diagnostic asks) and follows the property path through object
// literals. Anything else on the way (a variable, a spread, a computed key) leaves the call's own location.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type * as TS from "typescript";
import type { SourceLoc } from "../ir/types.js";
import { packageRoot } from "../frontend/paths.js";

let ts: typeof TS | undefined;

/**
 * The location of the value at `path` (an argument index, then property names) of the call that starts at `at`,
 * or undefined when it cannot be found as written. `baseDir`: what a relative `at.file` is relative to.
 */
export function valueSite(at: SourceLoc, path: readonly [number, ...string[]], baseDir = "."): SourceLoc | undefined {
  let text: string;
  try {
    text = readFileSync(resolve(baseDir, at.file), "utf8");
    ts ??= createRequire(join(packageRoot(), "package.json"))("typescript") as typeof TS;
  } catch {
    return undefined;
  }
  const file = ts.createSourceFile(at.file, text, ts.ScriptTarget.Latest, true);
  let pos: number;
  try {
    pos = file.getPositionOfLineAndCharacter(at.line - 1, at.column - 1);
  } catch {
    return undefined;
  }
  // The innermost call whose callee or opening parenthesis is at `pos` (sites point at the callee's name).
  let call: TS.CallExpression | undefined;
  const visit = (n: TS.Node): void => {
    if (pos < n.getStart(file) || pos >= n.getEnd()) return;
    if (ts!.isCallExpression(n)) {
      const callee = n.expression;
      const name = ts!.isPropertyAccessExpression(callee) ? callee.name : callee;
      if (pos >= name.getStart(file) && pos <= n.arguments.pos) call = n;
    }
    n.forEachChild(visit);
  };
  visit(file);
  let node: TS.Node | undefined = call?.arguments[path[0]];
  for (const key of path.slice(1)) {
    while (node && (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))) node = node.expression;
    if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
    const prop: TS.ObjectLiteralElementLike | undefined = node.properties.find(
      (p) => (ts!.isPropertyAssignment(p) || ts!.isShorthandPropertyAssignment(p)) && p.name && (ts!.isIdentifier(p.name) || ts!.isStringLiteral(p.name)) && p.name.text === key,
    );
    node = prop && ts.isPropertyAssignment(prop) ? prop.initializer : prop;
  }
  if (!node) return undefined;
  const lc = file.getLineAndCharacterOfPosition(node.getStart(file));
  return { file: at.file, line: lc.line + 1, column: lc.character + 1 };
}
