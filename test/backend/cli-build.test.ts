// `meshc build` end to end through the CLI: writes the build directory, and a failing build (diagnostics, or an
// --out that is not a build directory) leaves an existing output byte-identical.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { readTree } from "./cases.js";
import { ownTmpdir } from "../helpers/own-tmpdir.js";
import { syntheticMeshFiles } from "../../bench/synthetic-mesh.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/cli/mesh.ts", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "meshc-cli-build-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function meshc(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("meshc build", { timeout: 120_000 }, () => {
  const out = join(tmp, "dist");

  test("writes one folder per proxy and a manifest", () => {
    const r = meshc("build", fixture, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...readTree(out).keys()], [
      "api/cds.json", "api/eds.json", "api/lds.json", "api/rds.json",
      "encoded.json",
      "manifest.json",
      "web/cds.json", "web/eds.json", "web/lds.json", "web/rds.json",
    ]);
    const rds = JSON.parse(readFileSync(join(out, "web/rds.json"), "utf8"));
    assert.equal(rds.type_url, "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
    const weights = rds.resources[0].virtual_hosts[0].routes[0].route.weighted_clusters.clusters;
    assert.deepEqual(weights, [{ name: "outbound|8080|v1|api", weight: 90 }, { name: "outbound|8080|v2|api", weight: 10 }]);
    assert.match(r.stderr, /wrote 2 proxies/);
  });

  test("a mesh with an error leaves the previous build byte-identical (exit 1)", () => {
    const before = readTree(out);
    const bad = join(tmp, "bad", "mesh.ts");
    mkdirSync(join(tmp, "bad"), { recursive: true });
    writeFileSync(bad, readFileSync(fixture, "utf8").replace("calls: [api]", "calls: [apii]"));
    const r = meshc("build", bad, "--out", out, "--format", "json");
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout)[0].code, "MESH0001");
    assert.deepEqual(readTree(out), before);
  });

  test("a type error found after the files were written leaves --out byte-identical; the next build is exact", { timeout: 120_000 }, () => {
    // Files are rendered and written as proxies are translated, before the type check's verdict (it runs on its own
    // thread). A type error that evaluation does not notice fails the build after that: --out must not change, the
    // spare written into must go back untrusted (no index), and the next build must still write the exact tree.
    // A 150-service mesh of DSL statements: TypeScript checks it for over a second, several times as long as the
    // evaluation and the first translated proxies take, so its files are being written when the error arrives.
    const dir = join(tmp, "late-error");
    const target = join(dir, "dist");
    const good = join(dir, "good", "mesh.ts");
    const bad = join(dir, "bad", "mesh.ts");
    const text = syntheticMeshFiles({ services: 150, style: "statements" })["mesh.ts"]!;
    mkdirSync(dirname(good), { recursive: true });
    mkdirSync(dirname(bad), { recursive: true });
    writeFileSync(good, text);
    writeFileSync(bad, `${text}\nexport const wrong: number = "not a number";\n`);
    assert.equal(meshc("build", good, "--out", target).code, 0);
    assert.equal(meshc("build", good, "--out", target).code, 0); // the first tree becomes the spare
    const before = readTree(target);
    assert.ok(existsSync(join(dir, ".dist.spare", "encoded.json")));
    const r = meshc("build", bad, "--out", target, "--format", "json");
    assert.equal(r.code, 1, r.stderr);
    const [d] = JSON.parse(r.stdout) as { code: string; message: string }[];
    assert.equal(d!.code, "MESH0001");
    assert.match(d!.message, /\(TS2322\)$/);
    assert.deepEqual(readTree(target), before);
    assert.deepEqual(readdirSync(dir).sort(), [".dist.spare", "bad", "dist", "good"]);
    assert.equal(existsSync(join(dir, ".dist.spare", "encoded.json")), false, "the spare was written into: its index is gone");
    const again = meshc("build", good, "--out", target);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readTree(target), before);
    // Into an --out whose folders do not exist yet: the failed build removes the ones it created.
    assert.equal(meshc("build", bad, "--out", join(dir, "new", "deep", "dist")).code, 1);
    assert.deepEqual(readdirSync(dir).sort(), [".dist.spare", "bad", "dist", "good"]);
  });

  test("Ctrl-C (once or twice) or SIGTERM during a build leaves --out, the folder around it and the temp folder as they were", { timeout: 120_000 }, async () => {
    const dir = join(tmp, "interrupted");
    const mesh = join(dir, "src", "mesh.ts");
    mkdirSync(dirname(mesh), { recursive: true });
    // The interrupted builds' TMPDIR: the bundle of mesh.ts and the workers' scripts are removed on the way out too.
    const temp = ownTmpdir(join(tmp, "interrupted-tmp"));
    writeFileSync(mesh, syntheticMeshFiles({ services: 150, style: "statements" })["mesh.ts"]!);
    const target = join(dir, "dist");
    // Interrupted once its temp tree exists (a claimed spare's from the start, a fresh one once translation starts).
    const interrupt = async (signal: NodeJS.Signals, twice = false) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "build", mesh, "--out", target], { cwd: root, stdio: "ignore", env: temp.env });
      const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
      for (let i = 0; i < 1200 && !readdirSync(dir).some((e) => e.startsWith(".dist.tmp-")); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(readdirSync(dir).some((e) => e.startsWith(".dist.tmp-")), "the build got as far as its temp tree");
      child.kill(signal);
      // A second signal (Ctrl-C pressed again) while the first one's clean-up runs is ignored.
      if (twice) setTimeout(() => child.kill(signal), 5);
      const code = await exited;
      assert.deepEqual(temp.leftovers(), [], `${signal}: nothing left in the temp folder`);
      return code;
    };
    assert.equal(await interrupt("SIGINT"), 130);
    assert.deepEqual(readdirSync(dir), ["src"], "no temp tree, no --out");
    assert.equal(meshc("build", mesh, "--out", target).code, 0);
    assert.equal(meshc("build", mesh, "--out", target).code, 0); // the first tree becomes the spare
    const before = readTree(target);
    assert.equal(await interrupt("SIGTERM"), 143);
    assert.deepEqual(readdirSync(dir).sort(), [".dist.spare", "dist", "src"]);
    assert.deepEqual(readTree(target), before);
    assert.equal(await interrupt("SIGINT", true), 130);
    assert.deepEqual(readdirSync(dir).sort(), [".dist.spare", "dist", "src"]);
    assert.deepEqual(readTree(target), before);
    const again = meshc("build", mesh, "--out", target);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readTree(target), before);
    // Once its tree is swapped in, the build has done its work: a signal then does not make it report failure.
    rmSync(target, { recursive: true });
    const late = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "build", mesh, "--out", target], { cwd: root, stdio: "ignore", env: temp.env });
    const lateExit = new Promise<number | null>((res) => late.once("exit", (code) => res(code)));
    for (let i = 0; i < 6000 && !existsSync(target); i++) await new Promise((r) => setTimeout(r, 2));
    late.kill("SIGINT");
    assert.equal(await lateExit, 0);
    assert.deepEqual(readTree(target), before);
    assert.deepEqual(temp.leftovers(), []);
  });

  test("an --out holding other files is refused (exit 2) and left alone", () => {
    const foreign = join(tmp, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "keep.txt"), "keep");
    const r = meshc("build", fixture, "--out", foreign);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a meshc build directory/);
    assert.deepEqual(readTree(foreign), new Map([["keep.txt", "keep"]]));
  });
});
