// `meshc graph` goldens: every backend golden case's IR (test/golden/backend/<case>/ir.json) drawn as DOT and
// Mermaid, two of them also as SVG and HTML (Graphviz in WebAssembly), in test/golden/graph/. Then the CLI end to
// end on examples/demo/mesh.ts in all four formats (its output must equal the goldens, byte for byte, in two separate
// processes), and a mesh with an error: diagnostics, exit 1, nothing on stdout. UPDATE_GOLDEN=1 rewrites the files.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { renderDot } from "../../src/graph/dot.js";
import { renderHtml } from "../../src/graph/html.js";
import { renderMermaid } from "../../src/graph/mermaid.js";
import { graphFromIr, graphFromSnapshot } from "../../src/graph/model.js";
import { renderSvg } from "../../src/graph/svg.js";
import { caseNames, loadCase, translateCase } from "../backend/cases.js";
import { meshcCommand, REPO_ROOT } from "../e2e/lib/procs.js";
import { GoldenDir } from "../helpers/golden.js";

const DIR = fileURLToPath(new URL("../golden/graph/", import.meta.url));
const PICTURED = new Set(["proxyless", "tcp-failover"]);

describe("meshc graph goldens", () => {
  const golden = new GoldenDir(DIR);

  for (const c of caseNames()) {
    test(c, async () => {
      const g = graphFromIr(loadCase(c));
      golden.check(`${c}.dot`, renderDot(g));
      golden.check(`${c}.mmd`, renderMermaid(g));
      if (PICTURED.has(c)) {
        golden.check(`${c}.svg`, await renderSvg(g));
        golden.check(`${c}.html`, await renderHtml(g));
      }
    });
  }

  test("what the graph says: splits, mirrors, gRPC, TCP, proxyless clients", () => {
    const routing = renderDot(graphFromIr(loadCase("http-routing")));
    assert.match(routing, /label="mirror \d+(\.\d+)?%"/, "a mirror edge, labelled");
    assert.match(routing, /style="dotted"/);
    const proxyless = renderDot(graphFromIr(loadCase("proxyless")));
    assert.match(proxyless, /class="service proxyless"/);
    assert.match(proxyless, /\(proxyless gRPC\)/);
    assert.match(proxyless, /color="#1f6feb"/, "gRPC edges are blue");
    const tcp = renderDot(graphFromIr(loadCase("tcp-failover")));
    assert.match(tcp, /label="TCP/);
    assert.match(tcp, /style="dashed"/);
    const canary = renderDot(graphFromIr(loadCase("subsets-canary")));
    assert.match(canary, /\d+% \/ \S+ \d+%/, "a weighted split, labelled");
  });

  test("from a snapshot alone (serve on a build directory): services and their calls", () => {
    const { ir, result } = translateCase("subsets-canary");
    const fromIr = graphFromIr(ir);
    const fromSnap = graphFromSnapshot(ir.name, result.snapshot);
    assert.deepEqual(fromSnap.nodes.map((n) => n.id), fromIr.nodes.map((n) => n.id).filter((id) => result.snapshot.proxies.has(id) || fromIr.edges.some((e) => e.to === id)));
    assert.deepEqual(fromSnap.edges.map((e) => `${e.from}->${e.to}`), fromIr.edges.filter((e) => e.kind === "call").map((e) => `${e.from}->${e.to}`));
  });

  test("the CLI: examples/demo/mesh.ts in every format, byte-identical across processes", () => {
    const mesh = join(REPO_ROOT, "examples", "demo", "mesh.ts");
    for (const [format, ext] of [["dot", "dot"], ["mermaid", "mmd"], ["svg", "svg"], ["html", "html"]] as const) {
      const run = () => {
        const c = meshcCommand(["graph", mesh, "-o", format]);
        const r = spawnSync(c.cmd, c.args, { encoding: "utf8", cwd: REPO_ROOT });
        assert.equal(r.status, 0, `meshc graph -o ${format}: ${r.stderr}`);
        return r.stdout;
      };
      const first = run();
      golden.check(`cli-demo.${ext}`, first);
      assert.equal(run(), first, `-o ${format} is deterministic`);
    }
  });

  test("a mesh with an error: its diagnostic, exit 1, no graph", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshc-graph-"));
    try {
      const mesh = join(dir, "mesh.ts");
      writeFileSync(mesh, `import { defineMesh, http } from "meshc";\nexport default defineMesh({ name: "x", trustDomain: "x.example" }, (mesh) => {\n  const a = mesh.service("a", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });\n  mesh.service("b", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.2:8080"], calls: [a] });\n  mesh.routes(a, (r) => [r.match().to(a.subset("nope"))]);\n});\n`);
      const c = meshcCommand(["graph", mesh, "-o", "dot"]);
      const r = spawnSync(c.cmd, c.args, { encoding: "utf8" });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /error\[MESH\d{4}\] .*mesh\.ts:\d+:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("no orphaned golden files", () => golden.checkOrphans());
});
