// Call marks (src/frontend/call-marks.ts, src/dsl/site.ts): a marked bundle captures a call site once per call
// expression and DSL function, and every site, evaluated in the isolated worker and mapped to the user's files, is
// exactly where an unmarked bundle puts it; the source map is shifted for the inserted text token by token.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { FIELD_SITES, SITE } from "../../src/dsl/brand.js";
import { markCalls, MAX_MARKED_PARENS } from "../../src/frontend/call-marks.js";
import { bundleMesh, type Bundle } from "../../src/frontend/evaluate.js";
import { makeTempDir, removeTempDir } from "../../src/runtime/temp-dirs.js";
import { evaluateIsolated } from "../../src/frontend/isolate.js";
import { dslEntry } from "../../src/frontend/paths.js";
import { makeLocator } from "../../src/frontend/sites.js";
import { syntheticMeshFiles } from "../../bench/synthetic-mesh.js";
import { writeMesh } from "./tmp-mesh.js";

// Calls in every shape the marking rewrites: last argument plain, spread, parenthesized sequence, arrow, none; calls
// through call(), map() and a helper module; chains over several lines; a loop calling the same DSL calls many times.
const TRICKY = {
  "mesh.ts": `import { defineMesh, http, tcp, type RouteFactory } from "meshc";
import { portsFor, table } from "./helper.js";

const none = () => ({});
const port = http.call(undefined, 8080);
export default defineMesh({ name: "tricky", trustDomain: "t.example" }, (mesh) => {
  const refs = table.map((name) => mesh.service(name, { ports: portsFor(name), ...none() }));
  const other = mesh.service("other", { ports: { web: port, raw: tcp(...[9000]) } });
  for (const s of refs) {
    mesh.calls(s, [other]);
    mesh.routes(s, (r: RouteFactory) => [
      r
        .match({ path: { prefix: "/a" } })
        .to(other)
        .timeout((0, "1s")),
      r.match({ path: { prefix: "/b" } }).to(other).retries({ attempts: 2 }), r.match({}).to(other),
    ]);
  }
});
`,
  "helper.ts": `import { http } from "meshc";
export const table = ["a", "b", "c", "d"];
export function portsFor(name: string) {
  return name === "a" ? { web: http(8081) } : Object.fromEntries([[8082, 8083].map((p) => ["web", http(p, { app: p + 1 })])[0]!]);
}
`,
};

/** Every site of the model (objects' SITE and FIELD_SITES), located in the user's files, in walk order, and the raw sites. */
function locatedSites(model: unknown, bundle: Bundle): { list: string[]; objects: unknown[] } {
  const locate = makeLocator(bundle);
  const list: string[] = [];
  const objects: unknown[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: string) => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    const rec = v as Record<PropertyKey, unknown>;
    if (rec[SITE]) {
      const s = locate(rec[SITE] as never);
      list.push(`${path} ${s?.file}:${s?.line}:${s?.column}`);
      objects.push(rec[SITE]);
    }
    const fields = rec[FIELD_SITES] as Record<string, never> | undefined;
    if (fields) for (const k of Object.keys(fields)) {
      const s = locate(fields[k]);
      list.push(`${path}.${k}@ ${s?.file}:${s?.line}:${s?.column}`);
      objects.push(fields[k]);
    }
    for (const k of Object.keys(rec)) walk(rec[k], `${path}.${k}`);
  };
  walk(model, "");
  return { list, objects };
}

async function evaluateBoth(entry: string) {
  const out: Record<string, { list: string[]; objects: unknown[]; bundle: Bundle }> = {};
  for (const marked of [true, false]) {
    const tmp = makeTempDir("meshc-");
    try {
      const { bundle, diagnostics } = await bundleMesh(entry, dslEntry(), tmp, { markCalls: marked });
      assert.ok(bundle, JSON.stringify(diagnostics));
      writeFileSync(bundle.file, bundle.text);
      const outcome = await evaluateIsolated(bundle.file);
      assert.equal(outcome.kind, "model", JSON.stringify(outcome));
      out[marked ? "marked" : "unmarked"] = { ...locatedSites((outcome as { model: unknown }).model, bundle), bundle };
    } finally {
      removeTempDir(tmp);
    }
  }
  return out as { marked: (typeof out)[string]; unmarked: (typeof out)[string] };
}

test("a marked bundle locates every call site of the tricky mesh exactly where an unmarked one does", async () => {
  const m = writeMesh(TRICKY);
  try {
    const { marked, unmarked } = await evaluateBoth(m.entry);
    assert.ok(marked.bundle.text.includes("__meshcSiteMark"), "the user's calls are marked");
    assert.ok(!unmarked.bundle.text.includes("globalThis.__meshcSiteMark"));
    assert.ok(marked.list.length > 20);
    assert.deepEqual(marked.list, unmarked.list);
    // Sites point into both user files, at the calls written there.
    assert.ok(marked.list.some((s) => s.includes("helper.ts:4:")));
    assert.ok(marked.list.some((s) => /mesh\.ts:14:10$/.test(s)), marked.list.join("\n")); // the .to() of the multi-line chain
  } finally {
    m.remove();
  }
});

test("the data-style mesh: same positions, and the services declared in its loop share one captured site", async () => {
  const dir = makeTempDir("meshc-");
  try {
    mkdirSync(dir, { recursive: true });
    for (const [f, t] of Object.entries(syntheticMeshFiles({ services: 40, style: "data" }))) writeFileSync(join(dir, f), t);
    const { marked, unmarked } = await evaluateBoth(join(dir, "mesh.ts"));
    assert.deepEqual(marked.list, unmarked.list);
    // Kept: run in this thread, the 40 mesh.service() calls of the one call expression get one captured site object
    // when marked; unmarked, each call captured its own.
    for (const [mark, distinct] of [[true, 1], [false, 40]] as const) {
      const tmp = makeTempDir("meshc-");
      try {
        const { bundle } = await bundleMesh(join(dir, "mesh.ts"), dslEntry(), tmp, { markCalls: mark });
        writeFileSync(bundle!.file, bundle!.text);
        const model = ((await import(pathToFileURL(bundle!.file).href)) as { default: { services: Record<symbol, unknown>[] } }).default;
        assert.equal(model.services.length, 40);
        assert.equal(new Set(model.services.map((s) => s[SITE])).size, distinct, `marked: ${mark}`);
      } finally {
        removeTempDir(tmp);
      }
    }
  } finally {
    removeTempDir(dir);
  }
});

/** Generated columns per line of a source map's mappings. */
function generatedColumns(mappings: string): number[][] {
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return mappings.split(";").map((line) => {
    let col = 0;
    return line === ""
      ? []
      : line.split(",").map((seg) => {
          let value = 0;
          let shift = 0;
          for (let i = 0; ; i++) {
            const d = B64.indexOf(seg[i]!);
            value += (d & 31) << shift;
            if (!(d & 32)) break;
            shift += 5;
          }
          col += value & 1 ? -(value >>> 1) : value >>> 1;
          return col;
        });
  });
}

test("the shifted source map points at the same text in the marked bundle as the original map in the unmarked one", async () => {
  const m = writeMesh(TRICKY);
  const tmp = makeTempDir("meshc-");
  try {
    const plain = (await bundleMesh(m.entry, dslEntry(), tmp, { markCalls: false })).bundle!;
    const marked = (await bundleMesh(m.entry, dslEntry(), tmp)).bundle!;
    const before = generatedColumns(plain.map.mappings);
    const after = generatedColumns(marked.map.mappings);
    const plainLines = plain.text.split("\n");
    const markedLines = marked.text.split("\n");
    assert.equal(after.length, before.length);
    let checked = 0;
    let moved = 0;
    for (let l = 0; l < before.length; l++) {
      assert.equal(after[l]!.length, before[l]!.length, `segments of line ${l + 1}`);
      for (let s = 0; s < before[l]!.length; s++) {
        // The token there (an identifier, or one character): inserted text only ever comes between tokens.
        const tokenAt = (line: string, col: number) => /^[\w$]+|^[^]?/.exec(line.slice(col))![0];
        assert.equal(tokenAt(markedLines[l]!, after[l]![s]!), tokenAt(plainLines[l]!, before[l]![s]!), `line ${l + 1}, segment ${s}`);
        checked++;
        if (after[l]![s] !== before[l]![s]) moved++;
      }
    }
    assert.ok(checked > 100 && moved > 10, `${checked} segments, ${moved} moved`);
    // Everything but the mappings is the same map.
    assert.deepEqual({ ...marked.map, mappings: "" }, { ...plain.map, mappings: "" });
  } finally {
    removeTempDir(tmp);
    m.remove();
  }
});

test("user modules with more parentheses than marking pays for, or that do not parse, are left unmarked", () => {
  const map = { version: 3, sources: [], mappings: "" };
  const calls = (n: number) => `// a.ts\n${"f();\n".repeat(n)}`;
  const marked = markCalls(calls(10), map, ["a.ts"], () => true);
  assert.equal(marked?.calls, 10);
  assert.match(marked!.text, /f\(\.\.\.__meshcZ\w*\(9\)\)/);
  assert.equal(markCalls(calls(MAX_MARKED_PARENS + 1), map, ["a.ts"], () => true), undefined);
  assert.equal(markCalls("// a.ts\nf(;\n", map, ["a.ts"], () => true), undefined);
  // Modules that are not the user's are not marked, nor counted.
  assert.equal(markCalls(calls(MAX_MARKED_PARENS + 1), map, ["a.ts"], () => false)?.calls, 0);
});
