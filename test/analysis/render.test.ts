// Renderers: human (code frame with caret), json (stable), github (workflow-command escaping), exit codes.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { codeFrame } from "../../src/diagnostics/code-frame.js";
import {
  escapeData,
  escapeProperty,
  exitCodeFor,
  render,
  renderGithub,
  renderHuman,
  renderJson,
  shouldUseColor,
  summary,
} from "../../src/diagnostics/render.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "meshc-render-"));
  writeFileSync(
    join(dir, "mesh.ts"),
    ['import { defineMesh } from "meshc";', "", "mesh.routes(web, (r) => [", "\tr.match({}).to(order),", "]);", ""].join("\n"),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const unknown: Diagnostic = {
  code: "MESH0101",
  severity: "error",
  message: 'Unknown service "order" in route "web-0". Did you mean "orders"?',
  file: "mesh.ts",
  line: 4,
  column: 17,
  path: ["services", "web", "routes", 0, "action", "backends", 0, "service"],
  hint: "Declare service \"order\".",
};
const shadowed: Diagnostic = {
  code: "MESH0303",
  severity: "warning",
  message: 'Route "api-1" can never match.',
  file: "mesh.ts",
  line: 3,
  column: 1,
  endLine: 3,
  endColumn: 12,
  path: ["services", "api", "routes", 1, "match"],
  hint: "Move it up.",
};

test("human: istioctl-like first line, code frame with the caret under the column (tabs kept), hint, summary", () => {
  const out = renderHuman([unknown, shadowed], { color: false, cwd: dir });
  assert.equal(
    out,
    [
      "warning[MESH0303] mesh.ts:3:1: Route \"api-1\" can never match.",
      " 3 | mesh.routes(web, (r) => [",
      "   | ^^^^^^^^^^^",
      "  hint: Move it up.",
      "",
      'error[MESH0101] mesh.ts:4:17: Unknown service "order" in route "web-0". Did you mean "orders"?',
      " 4 | \tr.match({}).to(order),",
      "   | \t               ^",
      '  hint: Declare service "order".',
      "",
      "1 error, 1 warning",
      "",
    ].join("\n"),
  );
  // The caret sits under the "o" of "order": same prefix width, tab for tab.
  const [src, caret] = out.split("\n").slice(6, 8);
  assert.equal(src!.indexOf("order"), caret!.indexOf("^"));
});

test("human and github show absolute files under cwd relative to it; json keeps them as given", () => {
  const abs = { ...unknown, file: join(dir, "mesh.ts") };
  const human = renderHuman([abs], { color: false, cwd: dir });
  assert.match(human, /^error\[MESH0101\] mesh\.ts:4:17: /);
  assert.match(human, / 4 \| \tr\.match/); // the frame is read from the absolute path
  assert.match(renderHuman([abs], { color: false, cwd: "/elsewhere" }), new RegExp(`^error\\[MESH0101\\] ${dir}/mesh\\.ts:4:17: `));
  assert.match(renderGithub([abs], { cwd: dir }), /^::error file=mesh\.ts,line=4,/);
  assert.equal(JSON.parse(renderJson([abs]))[0].file, join(dir, "mesh.ts"));
});

test("human: a missing file or a line past the end just has no frame", () => {
  const out = renderHuman([{ ...unknown, file: "gone.ts" }, { ...unknown, line: 99 }], { color: false, cwd: dir });
  assert.ok(!out.includes(" | "), out);
  assert.match(out, /^error\[MESH0101\] gone\.ts:4:17: /m);
  assert.match(out, /^2 errors\n$/m);
});

test("human: a diagnostic without a location, and the clean summary", () => {
  assert.equal(renderHuman([{ code: "MESH0501", severity: "error", message: "m" }], { color: false }), "error[MESH0501] m\n\n1 error\n");
  assert.equal(renderHuman([], { color: false }), "✔ No problems found\n");
  assert.equal(summary([shadowed, shadowed]), "2 warnings");
});

test("human: ANSI colours only when asked", () => {
  assert.ok(!renderHuman([unknown], { color: false, cwd: dir }).includes("\x1b["));
  const coloured = renderHuman([unknown], { color: true, cwd: dir });
  assert.ok(coloured.includes("\x1b[1m\x1b[31merror[MESH0101]\x1b[0m"), coloured);
});

test("colour needs a TTY and no NO_COLOR or TERM=dumb", () => {
  assert.equal(shouldUseColor({ isTTY: true }, {}), true);
  assert.equal(shouldUseColor({ isTTY: false }, {}), false);
  assert.equal(shouldUseColor({}, {}), false);
  assert.equal(shouldUseColor({ isTTY: true }, { NO_COLOR: "" }), false);
  assert.equal(shouldUseColor({ isTTY: true }, { NO_COLOR: "1" }), false);
  assert.equal(shouldUseColor({ isTTY: true }, { TERM: "dumb" }), false);
});

test("code frame clamps columns and widens the gutter for long line numbers", () => {
  const text = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`).join("\n");
  assert.equal(codeFrame(text, 100, 6), " 100 | line 100\n     |      ^");
  assert.equal(codeFrame("abc", 1, 99), " 1 | abc\n   |    ^");
  assert.equal(codeFrame("abc\r\ndef", 1, 2, 4), " 1 | abc\n   |  ^^");
  assert.equal(codeFrame("abc", 2, 1), undefined);
});

test("github: one workflow command per diagnostic, toolkit escaping", () => {
  const d: Diagnostic = {
    code: "MESH0302",
    severity: "warning",
    message: "100% of 50%\r\nnext: line, done",
    file: "dir,a/b:c.ts",
    line: 3,
    column: 5,
    endLine: 3,
    endColumn: 9,
    hint: "use 100%",
  };
  assert.equal(
    renderGithub([d]),
    "::warning file=dir%2Ca/b%3Ac.ts,line=3,col=5,endLine=3,endColumn=9,title=MESH0302::100%25 of 50%25%0D%0Anext: line, done%0Ahint: use 100%25\n",
  );
  assert.equal(renderGithub([{ code: "MESH0501", severity: "error", message: "m" }]), "::error title=MESH0501::m\n");
  assert.equal(renderGithub([]), "");
  assert.equal(escapeData("a%b\nc\rd:e,f"), "a%25b%0Ac%0Dd:e,f");
  assert.equal(escapeProperty("a%b\nc\rd:e,f"), "a%25b%0Ac%0Dd%3Ae%2Cf");
});

test("json: sorted, fixed key order, absent fields omitted, stable across input order", () => {
  const a = renderJson([unknown, shadowed]);
  assert.equal(a, renderJson([shadowed, unknown]));
  assert.equal(a, render([shadowed, unknown], "json"));
  const parsed = JSON.parse(a) as Record<string, unknown>[];
  assert.deepEqual(parsed.map((d) => d.code), ["MESH0303", "MESH0101"]);
  assert.deepEqual(Object.keys(parsed[0]!), ["code", "severity", "message", "file", "line", "column", "endLine", "endColumn", "path", "hint"]);
  assert.deepEqual(Object.keys(parsed[1]!), ["code", "severity", "message", "file", "line", "column", "path", "hint"]);
  // Key order does not depend on how the object was built.
  const reordered = { hint: unknown.hint, path: unknown.path, column: 17, line: 4, file: "mesh.ts", message: unknown.message, severity: "error", code: "MESH0101" } as Diagnostic;
  assert.equal(renderJson([reordered]), renderJson([unknown]));
  assert.ok(a.endsWith("]\n"));
  assert.equal(renderJson([]), "[]\n");
});

test("exit codes: errors fail; warnings fail only with strict", () => {
  assert.equal(exitCodeFor([]), 0);
  assert.equal(exitCodeFor([shadowed]), 0);
  assert.equal(exitCodeFor([shadowed], { strict: true }), 1);
  assert.equal(exitCodeFor([unknown]), 1);
  assert.equal(exitCodeFor([unknown, shadowed], { strict: false }), 1);
});
