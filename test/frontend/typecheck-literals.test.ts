// A module edited only inside literals whose type cannot depend on their value is answered from the record of the
// last check (src/frontend/typecheck-literals.ts). The rule is only as good as its refusals, so:
// - a fixture of traps (test/frontend/fixtures/literal-traps.ts): every literal marked safe is taken, every literal
//   marked unsafe is refused, and each trap's breaking value really makes the check fail;
// - every literal taken, in the fixture and in every corpus mesh that checks cleanly, is edited and checked for real:
//   the check finds nothing, as the record says;
// - through typecheck(): an edit of a taken literal is answered without a check, anything else is checked.
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { dslEntry } from "../../src/frontend/paths.js";
import { compilerOptions, typecheck, typescript, type IncrementalState } from "../../src/frontend/typecheck.js";
import { typecheckCachePath } from "../../src/frontend/typecheck-cache.js";
import { scanTokens, skeletonHash, type LiteralRecord } from "../../src/frontend/typecheck-literals.js";
import { unchangedRecord, unchangedRecordPath } from "../../src/frontend/typecheck-unchanged.js";
import { useTempCacheDir, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
useTempCacheDir("meshc-tc-literals-");
after(() => made.forEach((m) => m.remove()));

const ts = typescript();
const traps = readFileSync(join(import.meta.dirname, "fixtures", "literal-traps.ts"), "utf8");

/** The literal records the last persisted check of `entry` left (none when it had errors). */
function recordOf(entry: string): { [file: string]: LiteralRecord } {
  const text = readFileSync(unchangedRecordPath(typecheckCachePath(entry)), "utf8");
  return (JSON.parse(text.slice(text.indexOf("\n") + 1)) as { literals?: { [file: string]: LiteralRecord } }).literals ?? {};
}

/** Start offset and ordinal of every string and numeric literal token of `text`, in order. */
function literalTokens(text: string): { start: number; end: number; ordinal: number; kind: TS_Kind }[] {
  const out: { start: number; end: number; ordinal: number; kind: TS_Kind }[] = [];
  scanTokens(ts, text, (kind, start, end, ordinal) => {
    if (kind === ts.SyntaxKind.StringLiteral || kind === ts.SyntaxKind.NumericLiteral) out.push({ start, end, ordinal, kind: kind === ts.SyntaxKind.StringLiteral ? "string" : "number" });
  });
  return out;
}
type TS_Kind = "string" | "number";

const replace = (text: string, t: { start: number; end: number }, value: string) => text.slice(0, t.start) + value + text.slice(t.end);
/** A real check (TypeScript's builder re-checks the changed module), not an answer from the in-memory record. */
const errorsOf = (entry: string, state: IncrementalState) => {
  state.settle = undefined;
  state.record = undefined;
  const r = typecheck(entry, dslEntry(), state);
  assert.notEqual(r.checked, 0, "checked for real");
  return r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
};
const VALUES: Record<TS_Kind, string[]> = { string: ['""', '"a"', '"zz-9.9"'], number: ["0", "7", "65535.5"] };

test("the traps: safe literals are taken, unsafe ones refused, and each breaking value really breaks the check", (ctx) => {
  const m = writeMesh({ "mesh.ts": traps });
  made.push(m);
  const state: IncrementalState = { userFiles: new Map() };
  assert.deepEqual(typecheck(m.entry, dslEntry(), undefined, true).diagnostics, [], "the fixture checks cleanly");
  const rec = recordOf(m.entry)[m.entry];
  assert.ok(rec, "a literal record for the fixture");
  const safe = new Set(rec.safe);
  const tokens = literalTokens(traps);
  const marker = /\s*\/\*([SU])(?::([^*]*))?\*\//y;
  let marked = 0;
  for (const t of tokens) {
    marker.lastIndex = t.end;
    const mark = marker.exec(traps);
    if (!mark) continue;
    marked++;
    const where = `${traps.slice(t.start, t.end)} at offset ${t.start} (${traps.slice(Math.max(0, t.start - 40), t.start).split("\n").at(-1)})`;
    if (mark[1] === "S") {
      assert.ok(safe.has(t.ordinal), `safe literal refused: ${where}`);
    } else {
      assert.ok(!safe.has(t.ordinal), `unsafe literal taken: ${where}`);
      if (mark[2] !== undefined) {
        const value = t.kind === "string" ? JSON.stringify(mark[2]) : mark[2];
        const edited = replace(traps, t, value);
        writeFileSync(m.entry, edited);
        assert.notEqual(skeletonHash(ts, edited, rec.safe), rec.skeleton, `edit of an unsafe literal matched the skeleton: ${where}`);
        assert.notDeepEqual(errorsOf(m.entry, state), [], `the trap's breaking value ${value} does not break the check: ${where}`);
      }
    }
  }
  assert.ok(marked >= 60, `marked literals: ${marked}`);
  // A safe literal's new value may not span lines (a line continuation, a raw line or paragraph separator).
  const twoArgs = tokens.find((t) => traps.slice(t.start, t.end) === '"a"' && traps.slice(t.end).startsWith(' /*S*/, "oops"'))!;
  assert.ok(safe.has(twoArgs.ordinal));
  for (const value of ['"a\\\nb"', '"a\\\r\nb"', '"a\u2028b"', '"a\u2029b"']) {
    const edited = replace(traps, twoArgs, value);
    assert.equal(skeletonHash(ts, edited, rec.safe), undefined, JSON.stringify(value));
    writeFileSync(m.entry, edited);
    assert.notDeepEqual(errorsOf(m.entry, state), [], `${JSON.stringify(value)} moves the error off the directive's line`);
  }
  ctx.diagnostic(`${marked} marked literals, ${safe.size} taken`);
  // Every taken literal (marked or not), edited to other values, checks cleanly for real.
  for (const t of tokens.filter((t) => safe.has(t.ordinal))) {
    for (const value of VALUES[t.kind]) {
      const edited = replace(traps, t, value);
      assert.equal(skeletonHash(ts, edited, rec.safe), rec.skeleton);
      writeFileSync(m.entry, edited);
      assert.deepEqual(errorsOf(m.entry, state), [], `${traps.slice(t.start, t.end)} -> ${value} at offset ${t.start}`);
    }
  }
  writeFileSync(m.entry, traps);
});

test("every literal taken in the corpus meshes that check cleanly checks cleanly with another value", (ctx) => {
  const corpus = join(import.meta.dirname, "..", "golden", "corpus");
  const state: IncrementalState = { userFiles: new Map() };
  let meshes = 0;
  let edits = 0;
  for (const d of readdirSync(corpus).sort()) {
    if (!existsSync(join(corpus, d, "mesh.ts"))) continue;
    // A copy of the mesh's folder: the corpus itself is never written.
    const copy = writeMesh({});
    made.push(copy);
    cpSync(join(corpus, d), copy.dir, { recursive: true });
    if (typecheck(copy.entry, dslEntry(), undefined, true).diagnostics.length) continue;
    meshes++;
    for (const [file, rec] of Object.entries(recordOf(copy.entry))) {
      const original = readFileSync(file, "utf8");
      const safe = new Set(rec.safe);
      for (const t of literalTokens(original).filter((t) => safe.has(t.ordinal))) {
        const value = VALUES[t.kind][edits % 3]!;
        const edited = replace(original, t, value);
        assert.equal(skeletonHash(ts, edited, rec.safe), rec.skeleton, `${d}: ${value} at ${t.start}`);
        edits++;
        writeFileSync(file, edited);
        const errors = errorsOf(copy.entry, state);
        writeFileSync(file, original);
        assert.deepEqual(errors, [], `${d}/${file.slice(copy.dir.length + 1)}: ${original.slice(t.start, t.end)} -> ${value} at offset ${t.start}`);
      }
    }
  }
  ctx.diagnostic(`${meshes} corpus meshes, ${edits} literal edits checked`);
  assert.ok(meshes >= 40, `corpus meshes that check cleanly: ${meshes}`);
  assert.ok(edits >= 200, `literal edits checked: ${edits}`);
});

const meshText = (address: string, subset: string, comment = "") => `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {${comment}
  const web = mesh.service("web", { ports: { http: http(8080, { app: 3000 }) }, subsets: { v1: { version: "v1" } }, instances: [{ address: ${JSON.stringify(address)}, labels: { version: "v1" } }] });
  mesh.routes(web, (r) => [r.match({ path: { prefix: "/" } }).to(web.subset(${JSON.stringify(subset)}))]);
});
`;

test("through typecheck(): a safe literal edit is answered without a check; anything else is checked", () => {
  const m = writeMesh({ "mesh.ts": meshText("10.0.0.1", "v1") });
  made.push(m);
  const persisted = () => typecheck(m.entry, dslEntry(), undefined, true);
  const fresh = () => typecheck(m.entry, dslEntry()).diagnostics;
  assert.equal(persisted().checked, 1);
  // An address: answered, twice in a row (the record takes the new text's hash each time).
  for (const address of ["10.0.0.2", "10.9.9.9"]) {
    writeFileSync(m.entry, meshText(address, "v1"));
    const r = persisted();
    assert.equal(r.checked, 0, address);
    assert.deepEqual(r.diagnostics, []);
  }
  // A subset name: checked, and the error found with its place.
  writeFileSync(m.entry, meshText("10.9.9.9", "v9"));
  const broken = persisted();
  assert.equal(broken.checked, 1);
  assert.deepEqual(broken.diagnostics, fresh());
  assert.ok(broken.diagnostics.length > 0);
  // After a check with errors no edit is answered from the record: fixing the subset is checked.
  writeFileSync(m.entry, meshText("10.9.9.8", "v1"));
  assert.equal(persisted().checked, 1);
  // A comment (where `@ts-expect-error` could hide in) is not a literal: checked.
  writeFileSync(m.entry, meshText("10.9.9.8", "v1", " // a note"));
  assert.equal(persisted().checked, 1);
  // An unterminated string is not a literal edit either.
  writeFileSync(m.entry, meshText("10.9.9.8", "v1", " // a note").replace('"10.9.9.8"', '"10.9.9.8'));
  const cut = persisted();
  assert.notEqual(cut.checked, 0);
  assert.deepEqual(cut.diagnostics, fresh());
});

test("in a long-lived checker (meshc serve): a safe literal edit is answered from memory, and the next real check sees every edit", () => {
  const m = writeMesh({ "mesh.ts": meshText("10.0.0.1", "v1") });
  made.push(m);
  const state: IncrementalState = { userFiles: new Map() };
  const check = () => typecheck(m.entry, dslEntry(), state);
  const fresh = () => typecheck(m.entry, dslEntry()).diagnostics;
  assert.equal(check().checked, 1);
  state.settle?.();
  assert.ok(state.record?.literals?.[m.entry], "a literal record kept in memory");
  writeFileSync(m.entry, meshText("10.0.0.2", "v1"));
  const answered = check();
  assert.equal(answered.checked, 0);
  assert.deepEqual(answered.diagnostics, []);
  assert.deepEqual(answered.files, [m.entry]);
  // A subset edit after the answered one: TypeScript's builder (still at the first text) checks the file again.
  writeFileSync(m.entry, meshText("10.0.0.2", "v9"));
  const broken = check();
  assert.equal(broken.checked, 1);
  assert.deepEqual(broken.diagnostics, fresh());
  assert.ok(broken.diagnostics.length > 0);
  assert.equal(state.record, undefined, "no record kept after a check with errors");
  // Fixed and edited again: checked (no record), then answered.
  writeFileSync(m.entry, meshText("10.0.0.3", "v1"));
  assert.equal(check().checked, 1);
  writeFileSync(m.entry, meshText("10.0.0.4", "v1"));
  assert.equal(check().checked, 0);
});

test("a record is not made when an import resolves otherwise than it did for the checked program", () => {
  // "./p" resolves to p/index.ts until a p/package.json points its types elsewhere: no file the program read changes.
  const m = writeMesh({
    "mesh.ts": `import { v } from "./p";\nimport "./p/index.ts";\nimport "./q.ts";\nexport const n: number = v;\n`,
    "p/index.ts": "export const v: number = 1;\n",
    "q.ts": 'export const v: string = "s";\n',
  });
  made.push(m);
  const options = compilerOptions(dslEntry());
  const host = ts.createCompilerHost(options);
  const program = ts.createProgram({ rootNames: [m.entry], options, host });
  const found = [...program.getSemanticDiagnostics()];
  assert.deepEqual(found, []);
  const own = [m.entry, m.path("p/index.ts"), m.path("q.ts")].sort();
  assert.ok(unchangedRecord(ts, m.entry, options, host, program, found, own), "a record while resolution is unchanged");
  writeFileSync(m.path("p/package.json"), JSON.stringify({ types: "../q.ts" }));
  assert.equal(unchangedRecord(ts, m.entry, options, host, program, found, own), undefined);
  assert.notDeepEqual(typecheck(m.entry, dslEntry()).diagnostics, [], "the import now resolves to a string");
});

