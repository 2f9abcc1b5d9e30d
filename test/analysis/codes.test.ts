// The code registry, its documentation and its tests agree: every registered code is documented (name and
// severity) and every documented code is registered; every analysis code has a valid/invalid table.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CODES, codeInfo, fillTemplate, listCodes } from "../../src/analysis/codes.js";
import { codes as frontendCodes } from "../../src/frontend/codes.js";

const DOC = readFileSync(join(import.meta.dirname, "../../docs/diagnostics.md"), "utf8");

/** "## MESH0101 UnknownService" sections with the severity line under them. */
function documented(): Map<string, { name: string; severity: string | undefined }> {
  const out = new Map<string, { name: string; severity: string | undefined }>();
  const sections = DOC.split(/^## /m).slice(1);
  for (const s of sections) {
    const head = /^(MESH\d{4}) (\w+)\s*$/m.exec(s.split("\n")[0]!);
    if (!head) continue;
    const severity = /^- \*\*Severity:\*\* (error|warning)\s*$/m.exec(s)?.[1];
    assert.ok(!out.has(head[1]!), `${head[1]} documented twice`);
    out.set(head[1]!, { name: head[2]!, severity });
  }
  return out;
}

test("registry entries are well formed and unique", () => {
  const list = listCodes();
  assert.equal(new Set(list.map((c) => c.code)).size, list.length);
  for (const c of list) {
    assert.match(c.code, /^MESH(0\d\d\d|10[01]\d)$/, c.name);
    assert.match(c.name, /^[A-Z][A-Za-z0-9]+$/, `${c.code} name is PascalCase`);
    assert.ok(c.description.endsWith("."), `${c.code} description is a sentence`);
    assert.ok(c.message.length > 0 && c.hint.length > 0, c.code);
  }
  assert.equal(codeInfo("MESH0101")?.name, "UnknownService");
  assert.equal(codeInfo("MESH9999"), undefined);
});

test("every registered code is documented with its name and severity, and nothing else is", () => {
  const docs = documented();
  for (const c of listCodes()) {
    const d = docs.get(c.code);
    assert.ok(d, `${c.code} ${c.name} is missing from docs/diagnostics.md`);
    assert.equal(d.name, c.name, `${c.code} name in docs`);
    assert.equal(d.severity, c.severity, `${c.code} severity in docs`);
  }
  for (const code of docs.keys()) assert.ok(codeInfo(code), `docs/diagnostics.md documents unknown code ${code}`);
});

test("the summary table in the docs lists every code with name and severity", () => {
  const rows = [...DOC.matchAll(/^\| (MESH\d{4}) \| (\w+) \| (error|warning) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  assert.deepEqual(rows, listCodes().map((c) => `${c.code} ${c.name} ${c.severity}`));
});

test("every analysis code has a valid/invalid table in test/analysis", () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
  for (const c of listCodes()) {
    if (/^MESH0[09]/.test(c.code)) continue; // front end and pipeline: tested with the loader and the pipeline
    if (/^MESH10/.test(c.code)) continue; // mesh tests: test/testing/
    if (/^MESH034/.test(c.code)) continue; // --envoy (real Envoy's verdicts): test/cli/envoy-gate.test.ts
    if (c.code === "MESH0803" || c.code === "MESH0804") continue; // serve time (registry): test/e2e/registry-*.test.ts
    if (c.code === "MESH0505") continue; // serve/bootstrap time: test/pki/static-bootstrap.test.ts
    if (/^MESH024[24-9]$|^MESH0360$/.test(c.code)) continue; // mesh.patch() applied to generated resources: test/patch/patch.test.ts
    assert.ok(sources.includes(`table(test, "${c.code}"`), `no table for ${c.code} ${c.name}`);
  }
});

test("front-end codes match src/frontend/codes.ts by name and number", () => {
  for (const [name, code] of Object.entries(frontendCodes)) {
    assert.equal(CODES[name as keyof typeof CODES]?.code, code, `${name} = ${code}`);
  }
  const registered = listCodes().filter((c) => c.code.startsWith("MESH00")).map((c) => c.code);
  assert.deepEqual(registered.sort(), Object.values(frontendCodes).sort());
});

test("templates fill placeholders and leave unknown ones alone", () => {
  assert.equal(fillTemplate("a {x} b {y} {z}", { x: 1, y: "two" }), "a 1 b two {z}");
  assert.equal(fillTemplate("tcp({n}, { app: <port> })", { n: 5 }), "tcp(5, { app: <port> })");
});
