// `meshc build` of a mesh nothing of which changed since its last check answers from the record of that check
// (src/frontend/typecheck-unchanged.ts) without creating a program: for every mesh of the corpus the answer is what
// a fresh check gives (file:line:col, code, message, hint); a module created where an import now resolves, or a
// module deleted, or a corrupt record means a real check.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { dslEntry } from "../../src/frontend/paths.js";
import { compilerOptions, typecheck, typescript } from "../../src/frontend/typecheck.js";
import { typecheckCacheKey, typecheckCachePath, writeTypecheckRecord } from "../../src/frontend/typecheck-cache.js";
import { lineAndCharacter, unchangedKey, unchangedRecordPath } from "../../src/frontend/typecheck-unchanged.js";
import { useTempCacheDir, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
useTempCacheDir("meshc-tc-unchanged-");
after(() => made.forEach((m) => m.remove()));

const persisted = (entry: string) => typecheck(entry, dslEntry(), undefined, true);
const fresh = (entry: string) => typecheck(entry, dslEntry());

test("every corpus mesh checked again unchanged gives exactly a fresh check's diagnostics", () => {
  const corpus = join(import.meta.dirname, "..", "golden", "corpus");
  const entries = readdirSync(corpus)
    .sort()
    .map((d) => join(corpus, d, "mesh.ts"))
    .filter((f) => existsSync(f));
  let withErrors = 0;
  let answered = 0;
  for (const e of entries) {
    const want = fresh(e);
    const first = persisted(e);
    const again = persisted(e);
    assert.deepEqual(first.diagnostics, want.diagnostics, e);
    assert.deepEqual(again.diagnostics, want.diagnostics, `${e} (unchanged)`);
    assert.deepEqual(again.files, want.files, e);
    if (existsSync(unchangedRecordPath(typecheckCachePath(e)))) answered++;
    if (want.diagnostics.length) withErrors++;
  }
  assert.ok(withErrors >= 5, `corpus meshes with type errors: ${withErrors}`);
  assert.ok(answered >= entries.length - 2, `meshes with a record of an unchanged check: ${answered} of ${entries.length}`);
});

const entryText = `import { defineMesh } from "meshc";
import { team } from "./team.js";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  mesh.include(team);
});
`;
const teamTs = (port: string) => `import { http, type Mesh } from "meshc";
export function team(mesh: Mesh) {
  return mesh.service("team", { ports: { web: http(${port}, { app: 3000 }) }, instances: [{ address: "10.0.0.1" }] });
}
`;
const summary = (ds: { code: string; file?: string; line?: number; column?: number; message: string }[]) => ds.map((d) => `${d.code} ${d.file}:${d.line}:${d.column} ${d.message}`);

test("a module created where an import now resolves, or deleted, is checked, not answered from the record", () => {
  // "./team.js" resolves to team.d.ts until a team.ts appears (TypeScript tries .ts first).
  const m = writeMesh({ "mesh.ts": entryText, "team.d.ts": `import type { Mesh, ServiceRef } from "meshc";\nexport declare function team(mesh: Mesh): ServiceRef<"team">;\n` });
  made.push(m);
  const a = persisted(m.entry);
  assert.deepEqual(summary(a.diagnostics), summary(fresh(m.entry).diagnostics));
  assert.equal(persisted(m.entry).checked, 0);
  writeFileSync(m.path("team.ts"), teamTs('"8080"')); // a string where the port number goes
  const b = persisted(m.entry);
  assert.ok(b.diagnostics.some((d) => d.file === m.path("team.ts")), JSON.stringify(b.diagnostics));
  assert.deepEqual(summary(b.diagnostics), summary(fresh(m.entry).diagnostics));
  assert.deepEqual(summary(persisted(m.entry).diagnostics), summary(b.diagnostics));
  rmSync(m.path("team.ts"));
  rmSync(m.path("team.d.ts"));
  const c = persisted(m.entry);
  assert.ok(c.diagnostics.some((d) => d.message.includes("TS2307")), JSON.stringify(c.diagnostics));
  assert.deepEqual(summary(c.diagnostics), summary(fresh(m.entry).diagnostics));
  // An import that did not resolve, resolving once the module exists.
  writeFileSync(m.path("team.ts"), teamTs("8080"));
  assert.deepEqual(persisted(m.entry).diagnostics, []);
  assert.deepEqual(fresh(m.entry).diagnostics, []);
});

test("a corrupt or foreign record of an unchanged check means a real check", () => {
  const m = writeMesh({ "mesh.ts": entryText, "team.ts": teamTs('"8080"') });
  made.push(m);
  const want = summary(fresh(m.entry).diagnostics);
  assert.ok(want.length > 0);
  assert.deepEqual(summary(persisted(m.entry).diagnostics), want);
  const path = unchangedRecordPath(typecheckCachePath(m.entry));
  const good = readFileSync(path, "utf8");
  // A record that claims no errors, but whose envelope digest no longer matches.
  const body = JSON.parse(good.slice(good.indexOf("\n") + 1)) as { diagnostics: unknown[] };
  body.diagnostics = [];
  writeFileSync(path, `${good.slice(0, good.indexOf("\n"))}\n${JSON.stringify(body)}`);
  assert.deepEqual(summary(persisted(m.entry).diagnostics), want);
  writeFileSync(path, good.slice(0, good.length >> 1));
  assert.deepEqual(summary(persisted(m.entry).diagnostics), want);
  writeFileSync(path, "not a record");
  assert.deepEqual(summary(persisted(m.entry).diagnostics), want);
});

test("the record is what answers an unchanged mesh (a valid record's diagnostics are reported), and only while nothing changed", () => {
  const m = writeMesh({ "mesh.ts": entryText, "team.ts": teamTs("8080") });
  made.push(m);
  assert.deepEqual(persisted(m.entry).diagnostics, []);
  const tsbuildinfo = typecheckCachePath(m.entry);
  const key = typecheckCacheKey(typescript(), m.entry, { ...compilerOptions(dslEntry()), incremental: true, tsBuildInfoFile: tsbuildinfo });
  const path = unchangedRecordPath(tsbuildinfo);
  const good = readFileSync(path, "utf8");
  const body = JSON.parse(good.slice(good.indexOf("\n") + 1)) as { diagnostics: unknown[] };
  // A marker only this record can produce (written with the right key: the envelope accepts it).
  body.diagnostics = [{ file: m.entry, start: 0, length: 6, code: 9999, category: 1, text: "from the record" }];
  writeTypecheckRecord(path, unchangedKey(key, tsbuildinfo)!, JSON.stringify(body));
  const r = persisted(m.entry);
  assert.deepEqual(summary(r.diagnostics), [`MESH0001 ${m.entry}:1:1 from the record (TS9999)`]);
  assert.equal(r.checked, 0);
  // TypeScript's record beside it replaced: a real check, which finds nothing.
  writeFileSync(tsbuildinfo, `${readFileSync(tsbuildinfo, "utf8")} `);
  assert.deepEqual(persisted(m.entry).diagnostics, []);
  writeTypecheckRecord(path, unchangedKey(key, tsbuildinfo)!, JSON.stringify(body));
  assert.equal(persisted(m.entry).diagnostics.length, 1, "the marker again");
  // One byte of the entry changed: a real check, which finds nothing.
  writeFileSync(m.entry, `${entryText} `);
  assert.deepEqual(persisted(m.entry).diagnostics, []);
});

test("line and character as TypeScript counts them (LF, CRLF, CR, LS, PS)", () => {
  const text = "a\nb\r\nc\rd\u2028e\u2029f";
  for (const [pos, want] of [
    [0, [0, 0]],
    [2, [1, 0]],
    [3, [1, 1]],
    [5, [2, 0]],
    [7, [3, 0]],
    [9, [4, 0]],
    [11, [5, 0]],
  ] as const) {
    const lc = lineAndCharacter(text, pos);
    assert.deepEqual([lc.line, lc.character], want, `at ${pos}`);
  }
});
