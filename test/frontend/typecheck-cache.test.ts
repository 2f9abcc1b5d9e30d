// The type check's record in meshc's cache folder (src/frontend/typecheck-cache.ts, issue 12 item 5): a check that
// starts from the record reports exactly what a fresh check reports, edit after edit (an error introduced into a
// cached mesh is reported at its file:line:col), it checks only the modules an edit affects, and a corrupt,
// tampered or foreign record means a full check, never a reused result.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { createHash } from "node:crypto";
import { dslEntry } from "../../src/frontend/paths.js";
import { typecheck } from "../../src/frontend/typecheck.js";
import { typecheckCachePath } from "../../src/frontend/typecheck-cache.js";
import { sharedTypecheckThread } from "../../src/frontend/typecheck-thread.js";
import { positionOf, useTempCacheDir, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
const cacheDir = useTempCacheDir("meshc-tc-cache-");
after(() => made.forEach((m) => m.remove()));

const team = (port: string) => `import { http, type Mesh } from "meshc";
export const PORT: number = ${port};
export function team(mesh: Mesh) {
  return mesh.service("team", { ports: { web: http(PORT, { app: 3000 }) }, subsets: { v1: { version: "v1" } }, instances: [{ address: "10.0.0.1", labels: { version: "v1" } }] });
}
`;
const entry = (timeout: string, subset = "v1") => `import { defineMesh } from "meshc";
import { team } from "./team.js";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const t = mesh.include(team);
  mesh.routes(t, (r) => [r.match().to(t.subset("${subset}")).timeout(${timeout})]);
});
`;

const summary = (ds: { code: string; file?: string; line?: number; column?: number; message: string }[]) => ds.map((d) => `${d.code} ${d.file}:${d.line}:${d.column} ${d.message}`);
const persisted = (m: TmpMesh) => typecheck(m.entry, dslEntry(), undefined, true);

test("a check from the record reports what a fresh check reports, edit after edit, checking only what an edit affects", () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  const first = persisted(m);
  assert.deepEqual(first.diagnostics, []);
  assert.equal(first.checked, 2, "no record yet: both modules are checked");
  assert.ok(existsSync(typecheckCachePath(m.entry)), "the record is written to the cache folder");
  assert.ok(typecheckCachePath(m.entry).startsWith(cacheDir()));
  assert.equal(persisted(m).checked, 0, "nothing changed: nothing is checked again");

  const edits: [string, string, number][] = [
    // [file, text, how many modules TypeScript must check at least]
    ["mesh.ts", entry('"2 seconds"'), 1], // error in the entry
    ["mesh.ts", entry('"3s"'), 1], // repaired
    ["mesh.ts", entry('"3s"', "v9"), 1], // a subset the service does not declare
    ["mesh.ts", entry('"3s"'), 1],
    ["team.ts", team('"8080"'), 1], // the imported module breaks (a string where a number goes) ...
    ["team.ts", team("8081"), 1], // ... and is repaired
    ["team.ts", team("8081").replace("export function team", "export function teamRenamed"), 1], // the importer breaks
    ["team.ts", team("8082"), 1],
  ];
  let errors = 0;
  for (const [file, text, least] of edits) {
    writeFileSync(m.path(file), text);
    const cached = persisted(m);
    const fresh = typecheck(m.entry, dslEntry());
    assert.deepEqual(summary(cached.diagnostics), summary(fresh.diagnostics), `after editing ${file}`);
    assert.deepEqual(cached.files, fresh.files);
    assert.ok(cached.checked! >= least && cached.checked! <= 2, `after editing ${file}: checked ${cached.checked}`);
    errors += cached.diagnostics.length;
    // The same mesh again: answered from the record, errors included.
    const again = persisted(m);
    assert.equal(again.checked, 0);
    assert.deepEqual(summary(again.diagnostics), summary(fresh.diagnostics), `again after editing ${file}`);
  }
  assert.ok(errors >= 4, "the edits did produce errors");
  assert.deepEqual(persisted(m).diagnostics, []);
});

test("an error introduced into a cached mesh is reported with its file:line:col", () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  assert.deepEqual(persisted(m).diagnostics, []);
  assert.equal(persisted(m).checked, 0);
  const text = entry('"2s"', "v3");
  writeFileSync(m.entry, text);
  const r = persisted(m);
  assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
  const d = r.diagnostics[0]!;
  const at = positionOf(text, '"v3"');
  assert.deepEqual([d.code, d.file, d.line, d.column], ["MESH0001", m.entry, at.line, at.column]);
  assert.match(d.message, /"v3"/);
  // In the imported module too.
  writeFileSync(m.entry, entry('"2s"'));
  assert.deepEqual(persisted(m).diagnostics, []);
  const teamText = team('"8080"');
  writeFileSync(m.path("team.ts"), teamText);
  const t = persisted(m).diagnostics;
  const at2 = positionOf(teamText, "PORT");
  assert.deepEqual(t.map((x) => [x.file, x.line, x.column]), [[m.path("team.ts"), at2.line, at2.column]]);
});

const sha = (text: string) => createHash("sha256").update(text).digest("base64");

test("a corrupt, tampered or foreign record means a full check, never a reused result", () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  const record = typecheckCachePath(m.entry);
  assert.deepEqual(persisted(m).diagnostics, []);
  const clean = readFileSync(record, "utf8");
  const good = entry('"2s"');
  const bad = entry('"2 seconds"');
  writeFileSync(m.entry, bad);
  const want = summary(typecheck(m.entry, dslEntry()).diagnostics);
  assert.equal(want.length, 1);

  // A record that claims the erroneous text is the one it checked clean (its version hash swapped in) but whose
  // envelope digest no longer matches: ignored. (With a matching digest TypeScript would reuse "no errors".)
  assert.ok(clean.includes(sha(good)), "the record holds the entry's content hash");
  const forged = clean.replace(sha(good), sha(bad));
  const bodies: [string, string][] = [
    ["tampered body", forged],
    ["truncated", clean.slice(0, Math.floor(clean.length / 2))],
    ["garbage", "not a record\n{}"],
    ["empty", ""],
    ["header only", clean.slice(0, clean.indexOf("\n") + 1)],
    ["another format", clean.replace('"format":1', '"format":999')],
  ];
  for (const [what, body] of bodies) {
    writeFileSync(record, body);
    const r = persisted(m);
    assert.deepEqual(summary(r.diagnostics), want, what);
    assert.equal(r.checked, 2, `${what}: a full check`);
    writeFileSync(record, body); // the check above rewrote it
  }

  // A foreign record: another mesh's, copied over this one's (its key names the other entry).
  const other = writeMesh({ "mesh.ts": good, "team.ts": team("8080") });
  made.push(other);
  assert.deepEqual(persisted(other).diagnostics, []);
  copyFileSync(typecheckCachePath(other.entry), record);
  const r = persisted(m);
  assert.deepEqual(summary(r.diagnostics), want, "foreign record");
  assert.equal(r.checked, 2);

  // Unwritable cache folder: the check still runs and reports.
  process.env.MESHC_CACHE_DIR = join(m.path("team.ts"), "not-a-dir");
  try {
    assert.deepEqual(summary(persisted(m).diagnostics), want);
  } finally {
    process.env.MESHC_CACHE_DIR = cacheDir();
  }
});

test("the checker thread persists for `meshc build` and reports errors from a cached mesh", async () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  const thread = sharedTypecheckThread();
  // The worker thread reads MESHC_CACHE_DIR from its own copy of the environment, taken when it starts.
  const first = await thread.check(m.entry, dslEntry(), false, undefined, true);
  assert.deepEqual(first.diagnostics, []);
  assert.equal(first.checked, 2);
  assert.equal((await thread.check(m.entry, dslEntry(), false, undefined, true)).checked, 0);
  const text = entry('"2 seconds"');
  writeFileSync(m.entry, text);
  const r = await thread.check(m.entry, dslEntry(), false, undefined, true);
  const at = positionOf(text, '"2 seconds"');
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line, d.column]), [["MESH0001", m.entry, at.line, at.column]]);
  await thread.close();
});

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.ts");

test("meshc build: a rebuild of a cached mesh reports a newly introduced type error at its file:line:col", () => {
  const m = writeMesh({ "mesh.ts": entry('"2s"'), "team.ts": team("8080") });
  made.push(m);
  const cache = join(m.dir, "cache");
  const build = () => {
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), CLI, "build", m.entry, "--out", join(m.dir, "out"), "--format", "json"], {
      encoding: "utf8",
      env: { ...process.env, MESHC_CACHE_DIR: cache, NO_COLOR: "1" },
    });
    return { code: r.status, diagnostics: JSON.parse(r.stdout || "[]") as { code: string; file?: string; line?: number; column?: number }[], stderr: r.stderr };
  };
  const first = build();
  assert.equal(first.code, 0, JSON.stringify(first.diagnostics));
  // The thread writes these after its reply (the build does not wait for them before writing --out): the process
  // must still not exit before they are written.
  assert.deepEqual(readdirSync(join(cache, "typecheck")).length, 1, "the build left its record in MESHC_CACHE_DIR");
  assert.deepEqual(readdirSync(join(cache, "typecheck-unchanged")).length, 1, "and the record of its result");
  assert.ok(existsSync(join(cache, "v8", "typescript.cache")), "and the compiled code of the check");
  assert.ok(!readdirSync(join(m.dir, "out")).some((f) => f.includes("tsbuildinfo")), "nothing of the cache in --out");
  assert.equal(build().code, 0);
  const text = entry('"2s"', "v2");
  writeFileSync(m.entry, text);
  const bad = build();
  assert.equal(bad.code, 1, bad.stderr);
  const at = positionOf(text, '"v2"');
  const errors = bad.diagnostics.filter((d) => d.code === "MESH0001");
  assert.deepEqual(errors.map((d) => [d.file, d.line, d.column]), [[m.entry, at.line, at.column]]);
});
