// A module edited only inside literals whose type cannot depend on their value (an instance address, a label, a port
// number, a row of a services table) needs no new type check: the record of the last check answers for it
// (typecheck-unchanged.ts). On a 1,000-service mesh written as statements that check takes about 5 s, and such
// edits are the common ones.
//
// Why it holds. A string or numeric literal that is an object literal's property value or an array literal's
// element (a "mutable location") gets the widened type, string or number, unless its contextual type admits literal
// types: a literal, template literal, keyof or string-mapping type, a type variable, a conditional or indexed type,
// or a const context. A call argument whose parameter type has no type variable feeds no inference, and a callee
// with one signature has no overload to pick. So when the type at the literal's path, as written where the
// parameter (or the annotated variable) is declared, before any inference instantiates it, is string or number
// (with undefined, null or object types at most), the literal's type is the same whatever its value, in every pass
// of the checker, and so is every type and diagnostic computed from it. Everything else in the module (every other
// token, comments, whitespace, and so every line) must be byte for byte what was checked: the skeleton hash covers it.
//
// What is recorded per module after an error-free check: the ordinals (in a plain token scan) of its safe literals
// and the hash of its text with those literals' contents left out. Anything the rules do not cover is not safe: a
// literal under `as const`, `satisfies`, in a return, a default, a comparison, a key, an import; an argument of an
// overloaded or rest-parameter callee, of a callee narrowed at the call, or of a signature combined from a union's;
// an unannotated variable; a path through a type variable (also inside an intersection in a union), a mapped type
// over a generic key (an `as` clause included) that names its key, maps `keyof` or lacks the property, a generic
// variadic tuple, or an iterable union member. Seven rounds of counterexample hunting found each of these (test/frontend/fixtures/
// literal-traps.ts keeps every one as a trap): a change here needs the same.
import { createHash } from "node:crypto";
import type * as TS from "typescript";

/** What the record keeps for one module: the hash of its skeleton and the ordinals of its safe literal tokens. */
export interface LiteralRecord {
  skeleton: string;
  safe: number[];
}

// A numeric literal a new text may put in a safe place: plain decimal (no legacy octal, which the checker refuses).
const DECIMAL = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
// A string literal with an escaped digit may be an octal escape, which strict mode refuses; one that spans lines (a
// line continuation, a raw U+2028 or U+2029) moves the lines after it, and `@ts-expect-error` or `@ts-ignore` work by
// line.
const REFUSED_STRING = /\\[0-9]|[\n\r\u2028\u2029]/;

/**
 * Scans `text` as tokens (templates continued after their substitutions, a slash where an expression starts read as
 * a regular expression) and calls `each` with every token's kind, start, end and ordinal until it returns false.
 * Returns whether the text scanned without errors. Tokens depend only on the text before them, so two texts equal
 * up to a point scan equal up to it.
 */
export function scanTokens(ts: typeof TS, text: string, each: (kind: TS.SyntaxKind, start: number, end: number, ordinal: number) => boolean | void): boolean {
  let clean = true;
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text, () => {
    clean = false;
  });
  const K = ts.SyntaxKind;
  const endsExpression = new Set([K.Identifier, K.NumericLiteral, K.StringLiteral, K.BigIntLiteral, K.NoSubstitutionTemplateLiteral, K.TemplateTail, K.RegularExpressionLiteral, K.CloseParenToken, K.CloseBracketToken, K.CloseBraceToken, K.ThisKeyword, K.SuperKeyword, K.TrueKeyword, K.FalseKeyword, K.NullKeyword, K.PlusPlusToken, K.MinusMinusToken]);
  const braces: boolean[] = []; // true: the brace closes a template substitution
  let previous: TS.SyntaxKind | undefined;
  let asking = true;
  for (let ordinal = 0, kind = scanner.scan(); kind !== K.EndOfFileToken; ordinal++, kind = scanner.scan()) {
    if (kind === K.OpenBraceToken) braces.push(false);
    else if (kind === K.TemplateHead) braces.push(true);
    else if (kind === K.CloseBraceToken && braces.pop() === true) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === K.TemplateMiddle) braces.push(true);
    } else if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && (previous === undefined || !endsExpression.has(previous))) kind = scanner.reScanSlashToken();
    previous = kind;
    // After `each` has had enough, the rest is still scanned: it must scan cleanly too.
    if (asking && each(kind, scanner.getTokenStart(), scanner.getTokenEnd(), ordinal) === false) asking = false;
  }
  return clean;
}

/**
 * The hash of `text` with the contents of the tokens at `safe` (ascending ordinals) left out (their kinds kept);
 * undefined when the text does not scan cleanly or a safe token is not a literal meshc may take as it stands.
 */
export function skeletonHash(ts: typeof TS, text: string, safe: readonly number[]): string | undefined {
  const tokens: Token[] = [];
  let next = 0;
  let refused = false;
  const clean = scanTokens(ts, text, (kind, start, end, ordinal) => {
    if (next === safe.length) return false;
    if (safe[next] !== ordinal) return;
    next++;
    const token = text.slice(start, end);
    if (kind === ts.SyntaxKind.NumericLiteral ? !DECIMAL.test(token) : kind !== ts.SyntaxKind.StringLiteral || REFUSED_STRING.test(token)) {
      refused = true;
      return false;
    }
    tokens.push({ kind, start, end });
  });
  return !clean || refused || next !== safe.length ? undefined : skeletonOf(text, tokens);
}

interface Token {
  kind: TS.SyntaxKind;
  start: number;
  end: number;
}

// The text between safe tokens verbatim (length-prefixed), each safe token by its kind alone: tokens are a function
// of the text before them, so equal skeletons mean equal tokens, trivia and all, outside the safe literals.
function skeletonOf(text: string, safe: readonly Token[]): string {
  const h = createHash("sha256");
  let from = 0;
  for (const { kind, start, end } of safe) {
    h.update(`${start - from}:`).update(text.slice(from, start)).update(`;${kind};`);
    from = end;
  }
  h.update(`${text.length - from}:`).update(text.slice(from));
  return h.digest("base64");
}

/** The record of a module that checked without errors; undefined when it does not scan cleanly. */
export function literalRecord(ts: typeof TS, checker: TS.TypeChecker, sf: TS.SourceFile): LiteralRecord | undefined {
  const literals = new Map<number, Token & { ordinal: number }>();
  const clean = scanTokens(ts, sf.text, (kind, start, end, ordinal) => {
    if (kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.NumericLiteral) literals.set(start, { kind, start, end, ordinal });
  });
  if (!clean) return undefined;
  const safety = new LiteralSafety(ts, checker);
  const safe: (Token & { ordinal: number })[] = [];
  const visit = (node: TS.Node): void => {
    if (node.kind === ts.SyntaxKind.StringLiteral || node.kind === ts.SyntaxKind.NumericLiteral) {
      const token = literals.get(node.getStart(sf));
      if (token && token.end === node.end && safety.isSafe(node as TS.LiteralExpression, sf.text.slice(token.start, token.end))) safe.push(token);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  safe.sort((a, b) => a.ordinal - b.ordinal);
  return { skeleton: skeletonOf(sf.text, safe), safe: safe.map((t) => t.ordinal) };
}

/** Decides, per literal, the rule in the header; verdicts are shared by literals at the same declared path. */
class LiteralSafety {
  private readonly verdicts = new Map<TS.Node, Map<string, boolean>>();
  private readonly indexes = new Map<TS.ArrayLiteralExpression, Map<TS.Node, number>>();
  private readonly callees = new Map<TS.Symbol, Map<TS.SignatureKind, { declaration: TS.SignatureDeclaration; type: TS.Type } | undefined>>();
  private readonly properties = new Map<TS.Type, Map<string, TS.Type | undefined>>();
  private readonly tops = new Map<TS.Node, { at: TS.Node; type: () => TS.Type } | undefined>();

  constructor(
    private readonly ts: typeof TS,
    private readonly checker: TS.TypeChecker,
  ) {}

  /** `text`: the literal as written. */
  isSafe(literal: TS.LiteralExpression, text: string): boolean {
    const ts = this.ts;
    const isString = literal.kind === ts.SyntaxKind.StringLiteral;
    if (isString ? REFUSED_STRING.test(text) : !DECIMAL.test(text)) return false;
    // Up from the literal through object and array literals to where its contextual type comes from.
    const path: Step[] = [];
    let node: TS.Node = literal;
    for (;;) {
      const parent: TS.Node = node.parent;
      if (ts.isParenthesizedExpression(parent)) node = parent;
      else if (ts.isPropertyAssignment(parent) && parent.initializer === node) {
        const name = propertyName(ts, parent.name);
        if (name === undefined) return false;
        path.push({ name, element: false });
        node = parent.parent;
      } else if (ts.isArrayLiteralExpression(parent)) {
        const index = this.indexOf(parent, node);
        if (index === undefined) return false;
        path.push({ name: String(index), element: true });
        node = parent;
      } else break;
    }
    path.reverse();
    let declared = this.tops.get(node);
    if (declared === undefined && !this.tops.has(node)) this.tops.set(node, (declared = this.declaredType(node)));
    if (!declared) return false;
    let byPath = this.verdicts.get(declared.at);
    if (!byPath) this.verdicts.set(declared.at, (byPath = new Map()));
    const key = JSON.stringify([isString, path]);
    let verdict = byPath.get(key);
    if (verdict === undefined) byPath.set(key, (verdict = this.walk(declared.type(), path, isString)));
    return verdict;
  }

  /** An element's index in its array literal; undefined after a spread (indexes no longer fixed). */
  private indexOf(array: TS.ArrayLiteralExpression, element: TS.Node): number | undefined {
    let index = this.indexes.get(array);
    if (!index) {
      index = new Map();
      for (const [i, e] of array.elements.entries()) {
        if (this.ts.isSpreadElement(e)) break;
        index.set(e, i);
      }
      this.indexes.set(array, index);
    }
    return index.get(element);
  }

  /**
   * The type `top` is checked against, as declared: the parameter's annotation of a callee with a single signature,
   * or a variable's annotation. `at` is the declaration node (verdicts are cached under it).
   */
  private declaredType(top: TS.Node): { at: TS.Node; type: () => TS.Type } | undefined {
    const ts = this.ts;
    const parent = top.parent;
    if (ts.isVariableDeclaration(parent) && parent.initializer === top && parent.type) {
      const annotation = parent.type;
      return { at: annotation, type: () => this.checker.getTypeFromTypeNode(annotation) };
    }
    if (!(ts.isCallExpression(parent) || ts.isNewExpression(parent)) || !parent.arguments) return undefined;
    const argIndex = parent.arguments.indexOf(top as TS.Expression);
    if (argIndex < 0 || parent.arguments.slice(0, argIndex).some((a) => ts.isSpreadElement(a))) return undefined;
    const callee = this.callee(parent.expression, ts.isCallExpression(parent) ? ts.SignatureKind.Call : ts.SignatureKind.Construct);
    if (!callee) return undefined;
    const { declaration } = callee;
    // The signature the check resolved must be that one, and a callee flow analysis may narrow must have its declared
    // type at the call: a type guard or assertion can make it a subtype, an intersection or a union whose signature
    // (or combined signature, which keeps the first member's declaration) takes other parameter types.
    const resolved = this.checker.getResolvedSignature(parent);
    if (resolved?.getDeclaration() !== declaration) return undefined;
    if (callee.narrowable && this.checker.getTypeAtLocation(parent.expression) !== callee.type) return undefined;
    const params = declaration.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this"));
    const param = params[argIndex];
    if (!param || param.dotDotDotToken || !param.type) return undefined;
    // And its parameter must be the one declared there: a signature combined from a union's members (a class
    // extending a union-typed base) keeps the first member's declaration, with new parameters of another type.
    if (resolved.getParameters()[argIndex]?.valueDeclaration !== param) return undefined;
    const annotation = param.type;
    return { at: annotation, type: () => this.checker.getTypeFromTypeNode(annotation) };
  }

  /**
   * The declaration of the one signature a callee (a name or a property access) has, by its symbol's declared type
   * (a declared type that is a union or intersection, or has several signatures, gives none), and whether flow
   * analysis may narrow the callee at a call: a variable, property, accessor or import may be (a type guard can make
   * it an intersection or union with other signatures), a function, class or method is not (TypeScript returns
   * their declared type at every reference).
   */
  private callee(callee: TS.Expression, kind: TS.SignatureKind): { declaration: TS.SignatureDeclaration; type: TS.Type; narrowable: boolean } | undefined {
    const ts = this.ts;
    const name = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name) ? callee.name : undefined;
    if (!name) return undefined;
    const seen = this.checker.getSymbolAtLocation(name);
    if (!seen) return undefined;
    const symbol = seen.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(seen) : seen;
    const narrowable = !!((seen.flags | symbol.flags) & (ts.SymbolFlags.Variable | ts.SymbolFlags.Property | ts.SymbolFlags.Accessor | ts.SymbolFlags.Alias));
    let byKind = this.callees.get(symbol);
    if (!byKind) this.callees.set(symbol, (byKind = new Map()));
    if (!byKind.has(kind)) {
      let found: { declaration: TS.SignatureDeclaration; type: TS.Type } | undefined;
      const type = this.checker.getTypeOfSymbol(symbol);
      if (!(type.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection))) {
        const signatures = this.checker.getSignaturesOfType(type, kind);
        const d = signatures.length === 1 ? (signatures[0]!.getDeclaration() as TS.SignatureDeclaration | undefined) : undefined;
        if (d && Array.isArray(d.parameters)) found = { declaration: d, type };
      }
      byKind.set(kind, found);
    }
    const found = byKind.get(kind);
    return found && { ...found, narrowable };
  }

  /**
   * Follows `path` through `type` as contextual typing does, member by member of each union (a primitive by its
   * apparent type, as the checker does for an object literal); true if it ends in plain string (number).
   */
  private walk(type: TS.Type, path: readonly Step[], isString: boolean): boolean {
    const ts = this.ts;
    const lookup = (this.checker as unknown as { getTypeOfPropertyOfContextualType?: (t: TS.Type, name: string) => TS.Type | undefined }).getTypeOfPropertyOfContextualType;
    if (path.length > 0 && typeof lookup !== "function") return false;
    const nothing = ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void | ts.TypeFlags.Never;
    const primitive = ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.ESSymbolLike;
    let alternatives: readonly TS.Type[] = [type];
    for (const step of path) {
      const next: TS.Type[] = [];
      for (const t of alternatives) {
        // A type variable, conditional, indexed or substitution type anywhere on the way (in a union, an intersection
        // or one inside the other), or a generic variadic tuple, may admit literals in some pass of the checker.
        if (deep(ts, t).some((m) => m.flags & ts.TypeFlags.InstantiableNonPrimitive || m.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) || variadicTuple(ts, m))) return false;
        for (const m of t.flags & ts.TypeFlags.Union ? (t as TS.UnionType).types : [t]) {
          if (m.flags & nothing) continue;
          const found = this.property(lookup!, m.flags & primitive ? this.checker.getApparentType(m) : m, step.name);
          // A mapped type over a generic key may change shape when instantiated (over an array `keyof T` becomes
          // number, over a primitive the whole type becomes it, `K` may become string or a key it did not admit
          // before, `1` for `K extends number`): only one whose template does not name its key, which does not map
          // `keyof`, and which has the property already, is followed.
          if (deep(ts, m).some((d) => isMapped(ts, d) && genericKey(ts, d) && (homomorphic(ts, d) || mentionsKey(ts, d) || this.property(lookup!, d, step.name) === undefined))) return false;
          if (found) next.push(found);
          // An array element's contextual type falls back to an iterable member's element type: not followed.
          else if (step.element && !(m.flags & primitive) && this.iterable(m)) return false;
        }
      }
      if (next.length === 0) return false;
      alternatives = next;
    }
    // Plain string (number), beside at most undefined, null and object types: none of them admits a literal type.
    const want = isString ? ts.TypeFlags.String : ts.TypeFlags.Number;
    const plain = new Set([ts.TypeFlags.String, ts.TypeFlags.Number, ts.TypeFlags.Undefined, ts.TypeFlags.Null]);
    const object = (m: TS.Type) => m.flags === ts.TypeFlags.Object && !(isMapped(ts, m) && homomorphic(ts, m)) && !variadicTuple(ts, m);
    const all = alternatives.flatMap((t) => (t.flags & ts.TypeFlags.Union ? (t as TS.UnionType).types : [t]));
    return all.some((m) => m.flags === want) && all.every((m) => plain.has(m.flags) || object(m) || (m.flags === ts.TypeFlags.Intersection && (m as TS.IntersectionType).types.every(object)));
  }

  /** Whether a type has a `[Symbol.iterator]` member (or may: a symbol index signature). */
  private iterable(t: TS.Type): boolean {
    return (
      this.checker.getPropertiesOfType(t).some((p) => (p.escapedName as string).startsWith("__@iterator")) ||
      this.checker.getIndexInfosOfType(t).some((i) => !!(i.keyType.flags & (this.ts.TypeFlags.ESSymbolLike | this.ts.TypeFlags.Any)))
    );
  }

  private property(lookup: (t: TS.Type, name: string) => TS.Type | undefined, t: TS.Type, name: string): TS.Type | undefined {
    let known = this.properties.get(t);
    if (!known) this.properties.set(t, (known = new Map()));
    if (!known.has(name)) known.set(name, lookup.call(this.checker, t, this.ts.escapeLeadingUnderscores(name) as unknown as string));
    return known.get(name);
  }
}

/** One step from a literal's top down to it: a property name, or an array element's index. */
interface Step {
  name: string;
  element: boolean;
}

// A tuple with a variadic element (`[x, ...T]`, T generic): over a `const` T it makes every array or object literal
// checked against it, and the literals in them, a const context, so a literal keeps its own type in the inference
// pass and can flow into a type variable elsewhere in the parameter (an index signature, say).
const variadicTuple = (ts: typeof TS, t: TS.Type) =>
  !!((t as TS.ObjectType).objectFlags & ts.ObjectFlags.Reference) &&
  !!((t as TS.TypeReference).target.objectFlags & ts.ObjectFlags.Tuple) &&
  ((t as TS.TypeReference).target as TS.TupleType).elementFlags.some((f) => f & ts.ElementFlags.Variadic);

const isMapped = (ts: typeof TS, t: TS.Type) => t.flags === ts.TypeFlags.Object && !!((t as TS.ObjectType).objectFlags & ts.ObjectFlags.Mapped);

// A mapped type's key type as resolved (TypeScript's `constraintType`, cached once its properties were looked up);
// undefined when it cannot be told, which every caller takes as the unsafe answer.
const keyType = (t: TS.Type) => (t as unknown as { constraintType?: TS.Type }).constraintType;

/** Whether a mapped type's keys are (or may be) still generic: an `as` clause counts as generic (it may name one). */
function genericKey(ts: typeof TS, t: TS.Type): boolean {
  const declaration = (t as unknown as { declaration?: TS.Node }).declaration;
  if (!declaration || !ts.isMappedTypeNode(declaration) || declaration.nameType) return true;
  const k = keyType(t);
  return !k || deep(ts, k).some((m) => m.flags & (ts.TypeFlags.Instantiable | ts.TypeFlags.Any | ts.TypeFlags.Unknown));
}

/**
 * Whether a mapped type maps `keyof` something (or cannot be told): over a type variable that becomes a primitive,
 * such a type becomes that primitive, a literal type included (Pick<X, "a"> maps a key union and stays an object).
 */
function homomorphic(ts: typeof TS, t: TS.Type): boolean {
  const declaration = (t as unknown as { declaration?: TS.Node }).declaration;
  if (!declaration || !ts.isMappedTypeNode(declaration)) return true;
  const constraint = declaration.typeParameter.constraint;
  const k = keyType(t);
  return !constraint || (ts.isTypeOperatorNode(constraint) && constraint.operator === ts.SyntaxKind.KeyOfKeyword) || !k || !!(k.flags & ts.TypeFlags.Index);
}

/** Whether a mapped type's template (or an `as` clause) names its key variable (or cannot be told). */
function mentionsKey(ts: typeof TS, t: TS.Type): boolean {
  const declaration = (t as unknown as { declaration?: TS.Node }).declaration;
  if (!declaration || !ts.isMappedTypeNode(declaration)) return true;
  if (declaration.nameType) return true;
  const name = declaration.typeParameter.name.text;
  const names = (n: TS.Node): boolean => (ts.isIdentifier(n) && n.text === name) || !!ts.forEachChild(n, (c) => names(c) || undefined);
  return declaration.type !== undefined && names(declaration.type);
}

/** The members of a union or intersection, and theirs, down to types that are neither. */
function deep(ts: typeof TS, t: TS.Type): readonly TS.Type[] {
  return t.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection) ? (t as TS.UnionOrIntersectionType).types.flatMap((m) => deep(ts, m)) : [t];
}

/** A property assignment's name as written, unless it is computed. */
function propertyName(ts: typeof TS, name: TS.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isNumericLiteral(name)) return String(Number(name.text));
  return undefined;
}
