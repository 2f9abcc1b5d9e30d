// `meshc serve` in process (startServe) on both sources: a mesh.ts compiled in process and a build directory. A
// failed load keeps the last good snapshot and shows up in /debug/diagnostics and the failure counter; a good one
// replaces it. End-to-end behaviour with real Envoy sidecars lives in test/e2e.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { pino } from "pino";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { compileMesh } from "../../src/pipeline.js";
import { startServe, type ServeHandle } from "../../src/serve/serve.js";

const MESH = join(import.meta.dirname, "..", "backend", "fixtures", "cli", "mesh.ts");
const dir = mkdtempSync(join(tmpdir(), "meshc-serve-"));
const handles: ServeHandle[] = [];
after(async () => {
  for (const h of handles) await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const quiet = pino({ level: "silent" });

async function serve(source: string): Promise<ServeHandle> {
  const h = await startServe({ source, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, logger: quiet });
  handles.push(h);
  return h;
}

async function get(h: ServeHandle, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${h.adminPort}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

describe("meshc serve", () => {
  test("a mesh.ts source: serves, keeps the last good snapshot on a type error, takes the fix", { timeout: 60_000 }, async () => {
    const work = join(dir, "mesh");
    cpSync(join(MESH, ".."), work, { recursive: true });
    const entry = join(work, "mesh.ts");
    const good = readFileSync(entry, "utf8");
    const h = await serve(entry);
    assert.equal((await get(h, "/healthz")).status, 200);
    assert.equal((await get(h, "/readyz")).status, 200);
    const before = JSON.parse((await get(h, "/debug/snapshot/web")).text) as { versions: Record<string, string>; route: unknown };
    assert.ok(before.versions.route, "web has a route table");

    writeFileSync(entry, good.replace('.split([', '.split("nope", ['));
    assert.equal(await h.reload(), false);
    const diag = JSON.parse((await get(h, "/debug/diagnostics")).text) as { ok: boolean; diagnostics: { code: string; file: string; line: number }[] };
    assert.equal(diag.ok, false);
    assert.ok(diag.diagnostics.some((d) => d.code === "MESH0001" && d.file === entry && d.line > 0), JSON.stringify(diag.diagnostics));
    const still = JSON.parse((await get(h, "/debug/snapshot/web")).text) as { versions: Record<string, string> };
    assert.deepEqual(still.versions, before.versions, "the previous snapshot keeps serving");
    assert.match((await get(h, "/metrics")).text, /^meshc_compile_failures_total 1$/m);

    writeFileSync(entry, good.replace("[api.subset(\"v1\"), 90]", "[api.subset(\"v1\"), 50]").replace("[api.subset(\"v2\"), 10]", "[api.subset(\"v2\"), 50]"));
    assert.equal(await h.reload(), true);
    const afterFix = JSON.parse((await get(h, "/debug/snapshot/web")).text) as { versions: Record<string, string>; route: { resources: unknown[] } };
    assert.notEqual(afterFix.versions.route, before.versions.route, "the new split changed web's route table");
    assert.equal(afterFix.versions.cluster, before.versions.cluster, "clusters did not change");
    assert.match(JSON.stringify(afterFix.route), /"weight":50/);
    assert.equal((await get(h, "/debug/snapshot/nobody")).status, 404);
  });

  test("a build directory source: serves what meshc build wrote, refuses a corrupted file with MESH0902", { timeout: 60_000 }, async () => {
    const out = join(dir, "build");
    const compiled = await compileMesh(MESH);
    assert.ok(compiled.snapshot && compiled.ir);
    await writeBuildDir(out, renderBuild(compiled.ir.name, compiled.snapshot));
    const h = await serve(out);
    const web = JSON.parse((await get(h, "/debug/snapshot/web")).text) as { versions: Record<string, string> };
    assert.deepEqual(web.versions, compiled.snapshot.proxies.get("web")!.versions, "versions survive the round trip through JSON");
    const served = h.xds.snapshot()!.proxies.get("web")!;
    const built = compiled.snapshot.proxies.get("web")!;
    for (const kind of ["cluster", "endpoint", "listener", "route"] as const) {
      assert.deepEqual(served.resources[kind].map((r) => Buffer.from(r.bytes).toString("hex")), built.resources[kind].map((r) => Buffer.from(r.bytes).toString("hex")), kind);
    }

    const cds = join(out, "web", "cds.json");
    writeFileSync(cds, readFileSync(cds, "utf8").replace(/"connect_timeout": "[^"]+"/, '"connect_timeout": "0s"'));
    assert.equal(await h.reload(), false);
    const diag = JSON.parse((await get(h, "/debug/diagnostics")).text) as { diagnostics: { code: string; message: string }[] };
    assert.equal(diag.diagnostics[0]?.code, "MESH0902");
    assert.match(diag.diagnostics[0]!.message, /connect_timeout: must be greater than 0s/);
    assert.deepEqual(h.xds.snapshot()!.proxies.get("web")!.versions, built.versions, "still serving the good build");

    // P-31: a build whose listener names a route table that is not there is not served either.
    const good = await compileMesh(MESH);
    await writeBuildDir(out, renderBuild(good.ir!.name, good.snapshot!));
    writeFileSync(join(out, "web", "rds.json"), readFileSync(join(out, "web", "rds.json"), "utf8").replace(/"resources": \[[\s\S]*\],\n  "type_url"/, '"resources": [],\n  "type_url"'));
    assert.equal(await h.reload(), false);
    const missing = JSON.parse((await get(h, "/debug/diagnostics")).text) as { diagnostics: { code: string; message: string }[] };
    assert.ok(missing.diagnostics.some((d) => d.code === "MESH0902" && /RouteConfiguration/.test(d.message)), JSON.stringify(missing.diagnostics));
  });
});
