// Positions: call sites and stack frames captured in the bundle land on the user's .ts lines and columns.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { after, test } from "node:test";
import { bundleMesh } from "../../src/frontend/evaluate.js";
import { makeTempDir, removeTempDir } from "../../src/runtime/temp-dirs.js";
import { loadMesh } from "../../src/frontend/index.js";
import { dslEntry } from "../../src/frontend/paths.js";
import { LazySourceMap } from "../../src/frontend/sourcemap.js";
import { positionOf, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const made: TmpMesh[] = [];
after(() => made.forEach((m) => m.remove()));
const mesh = (files: Record<string, string>) => {
  const m = writeMesh(files);
  made.push(m);
  return m;
};

test("the lazy source-map decoder agrees with node:module's SourceMap on a real bundle", async () => {
  const tmp = makeTempDir("meshc-");
  try {
    const { bundle } = await bundleMesh(join("examples", "shop", "mesh.ts"), dslEntry(), tmp);
    assert.ok(bundle);
    const ours = new LazySourceMap(bundle.map);
    const node = new SourceMap(bundle.map as never);
    const lines = bundle.text.split("\n");
    let compared = 0;
    for (let line = 0; line < lines.length; line++) {
      for (let column = 0; column < lines[line]!.length; column += 7) {
        const n = node.findEntry(line, column) as { generatedLine?: number; originalSource?: string; originalLine?: number; originalColumn?: number };
        const o = ours.find(line, column);
        // Node also answers with a segment of an earlier line; the lazy map only looks at the line itself.
        if (n.generatedLine !== line || n.originalSource === undefined) {
          assert.equal(o, undefined, `at ${line}:${column}`);
          continue;
        }
        assert.deepEqual(o, { source: n.originalSource, line: n.originalLine, column: n.originalColumn }, `at ${line}:${column}`);
        compared++;
      }
    }
    assert.ok(compared > 500, `compared ${compared} positions`);
  } finally {
    removeTempDir(tmp);
  }
});

const team = `import { http, tcp, type Mesh } from "meshc";

export function team(mesh: Mesh) {
  const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: [] });
  mesh.tcpRoute(db, { idleTimeout: "1m" });
  return mesh.service("api", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [],
    calls: [db],
  });
}
`;
const entry = `import { defineMesh } from "meshc";
import { team } from "./lib/team.js";

export default defineMesh({ name: "pos", trustDomain: "pos.example" }, (mesh) => {
  const api = mesh.include(team);
  mesh.routes(api, (r) => [
    r.match({ path: { prefix: "/a" } }).to(api),
    r
      .match({ path: { prefix: "/b" } })
      .to(api)
      .timeout("1s"),
  ]);
  mesh.policy(api, { timeout: "2s" });
});
`;

test("IR sources point at the DSL call (line and column of the called name) in the module that made it", async () => {
  const m = mesh({ "mesh.ts": entry, "lib/team.ts": team });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics, []);
  const svc = (name: string) => r.ir!.services.find((s) => s.name === name)!;
  const inTeam = (needle: string) => ({ file: "lib/team.ts", ...positionOf(team, needle) });
  const inEntry = (needle: string, from = 0) => ({ file: "mesh.ts", ...positionOf(entry, needle, from) });
  assert.deepEqual(r.ir!.source, inEntry("defineMesh({"));
  assert.deepEqual(svc("db").source, inTeam('service("db"'));
  assert.deepEqual(svc("db").ports[0]!.source, inTeam("tcp(5432)"));
  assert.deepEqual(svc("db").tcpRoute!.source, inTeam("tcpRoute("));
  assert.deepEqual(svc("api").source, inTeam('service("api"'));
  assert.deepEqual(svc("api").ports[0]!.source, inTeam("http(8080"));
  assert.deepEqual(svc("api").policy.source, inEntry("policy(api"));
  assert.deepEqual(
    svc("api").routes.map((x) => x.source),
    [inEntry("match({ path: { prefix: \"/a\""), inEntry("match({ path: { prefix: \"/b\"")],
  );
});

test("a validation problem in a chained call is reported on that call's own line", async () => {
  const text = entry.replace('.timeout("1s")', '.timeout("1s")\n      .retries({ attempts: 0 })');
  const m = mesh({ "mesh.ts": text, "lib/team.ts": team });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line, d.column]), [["MESH0003", m.entry, positionOf(text, "retries(").line, positionOf(text, "retries(").column]]);
});

test("an exception's position comes from the user's frame (line and column of the throw)", async () => {
  const text = `import { defineMesh } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, () => {
  const items: string[] = [];
  if (items.length === 0) throw new Error("no items");
});
`;
  const m = mesh({ "mesh.ts": text });
  const r = await loadMesh(m.entry);
  assert.deepEqual(r.diagnostics.map((d) => [d.line, d.column]), [[4, positionOf(text, "throw").column + "throw ".length]]);
});

test("(verified alternative) Node's own source maps, enabled with process.setSourceMapsEnabled, map the same way", () => {
  const text = `import { defineMesh } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, () => {

  throw new Error("boom");
});
`;
  const m = mesh({ "mesh.ts": text });
  const frame = execFileSync(process.execPath, [join("test", "frontend", "fixtures", "node-sourcemaps.mjs"), m.entry, dslEntry(), m.path("out.mjs")], { encoding: "utf8" }).trim();
  assert.ok(frame.endsWith(`${m.entry}:4:9)`), frame);
});

test("the DSL is bundled with the mesh (one copy, no .ts import left for Node), packages stay external", async () => {
  const tmp = makeTempDir("meshc-");
  try {
    const { bundle } = await bundleMesh(join("test", "frontend", "fixtures", "package-import", "mesh.ts"), dslEntry(), tmp);
    assert.ok(bundle);
    assert.ok(bundle.inputs.includes(dslEntry()), "src/dsl/index.ts is an input of the bundle");
    assert.doesNotMatch(bundle.text, /from\s+["'][^"']*\.ts["']/);
    assert.match(bundle.text, /from\s+"file:\/\/[^"]*\/node_modules\/yaml\/[^"]*"/, "yaml: external, by absolute URL");
  } finally {
    removeTempDir(tmp);
  }
});
