// `meshc diff`: blast radius, field-level changes keyed by resource names, source lines, the three kinds of side
// (mesh.ts, build directory, git:<ref>[:path]), the formats and the exit codes (0 same, 1 changes, 2 error).
// Meshes are compiled for real; git sides come from a temporary repository with two commits.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { compareSnapshots } from "../../src/diff/compare.js";
import { renderDiff } from "../../src/diff/render.js";
import { buildReport, type DiffReport } from "../../src/diff/report.js";
import { loadSides } from "../../src/diff/sides.js";
import { compileMesh } from "../../src/pipeline.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(REPO, "src", "cli", "main.ts");
const TSX = import.meta.resolve("tsx"); // the CLI runs from source, in folders that have no node_modules

const BASE = `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example", defaults: { timeout: "5s" } }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [{ address: "10.0.1.10", labels: { version: "v1" } }, { address: "10.0.1.11", labels: { version: "v2" } }],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  const reviews = mesh.service("reviews", { ports: { web: http(9080, { app: 3000 }) }, instances: ["10.0.2.10:9080"] });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [catalog, reviews] });
  mesh.service("admin", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.9:8080"], calls: [reviews] });
  mesh.routes(catalog, (r) => [
    r.match({ headers: { "x-canary": "1" } }).to(catalog.subset("v2")),
    r.match({ path: { prefix: "/" }, method: ["GET"] })
      .split([[catalog.subset("v1"), 90], [catalog.subset("v2"), 10]])
      .timeout("2s"),
  ]);
  mesh.policy(reviews, { circuitBreaker: { maxRequests: 200 } });
});
`;

// Three edits: the reviews breaker (seen by web and admin), the canary split (web only), a new route (web only).
const HEAD = BASE.replace("maxRequests: 200", "maxRequests: 100")
  .replace("[catalog.subset(\"v1\"), 90], [catalog.subset(\"v2\"), 10]", "[catalog.subset(\"v1\"), 80], [catalog.subset(\"v2\"), 20]")
  .replace(`  mesh.policy(reviews`, `  mesh.routes(reviews, (r) => [r.match({ path: { prefix: "/slow" } }).to(reviews).timeout("9s")]);\n  mesh.policy(reviews`);

let dir: string;
let repo: string;

function meshc(args: string[], cwd: string, env: Record<string, string> = {}) {
  const { NODE_TEST_CONTEXT: _, GITHUB_ACTIONS: __, ...base } = process.env;
  const r = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], { cwd, encoding: "utf8", env: { ...base, NO_COLOR: "1", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const git = (args: string[], cwd: string) =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" },
  });

async function report(base: string, head: string, cwd = dir): Promise<DiffReport> {
  const [b, h] = await loadSides(base, head, cwd);
  return buildReport(b, h, compareSnapshots(b.snapshot, h.snapshot));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "meshc-diff-"));
  writeFileSync(join(dir, "base.ts"), BASE);
  writeFileSync(join(dir, "head.ts"), HEAD);
  // A repository with the base mesh in the first commit and the head mesh in the second, the mesh in a subfolder.
  repo = join(dir, "repo");
  mkdirSync(join(repo, "infra"), { recursive: true });
  git(["init", "-q", "-b", "main"], repo);
  writeFileSync(join(repo, "infra", "mesh.ts"), BASE);
  git(["add", "-A"], repo);
  git(["commit", "-qm", "base"], repo);
  writeFileSync(join(repo, "infra", "mesh.ts"), HEAD);
  git(["commit", "-qam", "head"], repo);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("meshc diff", () => {
  test("blast radius: which proxies change, per type, and how many resources", async () => {
    const r = await report(join(dir, "base.ts"), join(dir, "head.ts"));
    assert.equal(r.changed, true);
    assert.deepEqual(r.blastRadius.proxies, { base: 4, head: 4, changed: 2, added: 0, removed: 0, names: ["admin", "web"] });
    // Three distinct changes: the reviews cluster (shared by web and admin, counted once) and each route table.
    assert.deepEqual(r.blastRadius.resources, { added: 0, removed: 0, changed: 3 });
    assert.deepEqual(r.blastRadius.perProxy, [
      { proxy: "admin", change: "changed", types: { cluster: { added: 0, removed: 0, changed: 1 }, route: { added: 0, removed: 0, changed: 1 } } },
      { proxy: "web", change: "changed", types: { cluster: { added: 0, removed: 0, changed: 1 }, route: { added: 0, removed: 0, changed: 1 } } },
    ]);
    const reviews = r.resources.find((x) => x.type === "cluster" && x.name === "outbound|9080||reviews");
    assert.ok(reviews);
    assert.deepEqual(reviews.proxies, ["admin", "web"]);
    assert.deepEqual(
      reviews.fields.map((f) => [f.path, f.before, f.after]),
      [["circuit_breakers.thresholds[0].max_requests", 200, 100]],
    );
  });

  test("field paths are keyed by names (virtual hosts, routes, weighted clusters), with the mesh.ts line behind them", async () => {
    const r = await report(join(dir, "base.ts"), join(dir, "head.ts"));
    const web = r.resources.find((x) => x.type === "route" && x.proxies.includes("web") && x.proxies.length === 1);
    assert.ok(web);
    const byPath = new Map(web.fields.map((f) => [f.path, f]));
    const w = byPath.get('virtual_hosts["catalog:8080"].routes["catalog-1"].route.weighted_clusters.clusters["outbound|8080|v1|catalog"].weight');
    assert.ok(w, [...byPath.keys()].join("\n"));
    assert.equal(w.before, 90);
    assert.equal(w.after, 80);
    const headLines = HEAD.split("\n");
    const line = (src: string | undefined) => Number(/:(\d+):\d+$/.exec(src ?? "")?.[1]);
    assert.match(headLines[line(w.source) - 1]!, /r\.match\(\{ path: \{ prefix: "\/" \}, method: \["GET"\] \}\)/);
    // The new reviews route: a virtual host's routes list gained an element (keyed, so nothing else shifts).
    const added = [...byPath.values()].find((f) => f.op === "added" && f.path.startsWith('virtual_hosts["reviews:9080"].routes["reviews-0"]'));
    assert.ok(added, [...byPath.keys()].join("\n"));
    assert.match(headLines[line(added.source) - 1]!, /mesh\.routes\(reviews/);
    const cluster = r.resources.find((x) => x.name === "outbound|9080||reviews")!;
    assert.match(headLines[line(cluster.fields[0]!.source) - 1]!, /mesh\.policy\(reviews/);
    // No version hashes anywhere.
    assert.doesNotMatch(JSON.stringify(r), /version_info|"hash"/);
  });

  test("a reordering of routes is a change of its own", async () => {
    const swapped = BASE.replace(
      /(    r\.match\(\{ headers: \{ "x-canary": "1" \} \}\)\.to\(catalog\.subset\("v2"\)\),\n)(    r\.match[\s\S]*?\.timeout\("2s"\),\n)/,
      (_m, a: string, b: string) => b + a,
    );
    assert.notEqual(swapped, BASE);
    writeFileSync(join(dir, "swapped.ts"), swapped.replace('.to(catalog.subset("v2")),', '.to(catalog.subset("v2")).named("catalog-0"),').replace(".timeout(\"2s\"),", ".timeout(\"2s\").named(\"catalog-1\"),"));
    writeFileSync(join(dir, "named.ts"), BASE.replace('.to(catalog.subset("v2")),', '.to(catalog.subset("v2")).named("catalog-0"),').replace(".timeout(\"2s\"),", ".timeout(\"2s\").named(\"catalog-1\"),"));
    const r = await report(join(dir, "named.ts"), join(dir, "swapped.ts"));
    const fields = r.resources.flatMap((x) => x.fields);
    const order = fields.find((f) => f.op === "reordered");
    assert.ok(order, JSON.stringify(fields, null, 2));
    assert.equal(order.path, 'virtual_hosts["catalog:8080"].routes');
    assert.deepEqual([order.before, order.after], [["catalog-0", "catalog-1"], ["catalog-1", "catalog-0"]]);
  });

  test("added and removed proxies and resources", async () => {
    const more = BASE.replace(`  mesh.routes(catalog`, `  mesh.service("ratings", { ports: { web: http(9090, { app: 3000 }) }, instances: ["10.0.3.1:9090"], calls: [reviews] });\n  mesh.routes(catalog`);
    writeFileSync(join(dir, "more.ts"), more);
    const r = await report(join(dir, "base.ts"), join(dir, "more.ts"));
    assert.deepEqual(r.blastRadius.proxies, { base: 4, head: 5, changed: 0, added: 1, removed: 0, names: ["ratings"] });
    assert.ok(r.resources.every((x) => x.change === "added" && x.proxies.join() === "ratings"));
    const back = await report(join(dir, "more.ts"), join(dir, "base.ts"));
    assert.equal(back.blastRadius.proxies.removed, 1);
    assert.ok(back.resources.every((x) => x.change === "removed"));
  });

  test("a build directory side equals the mesh it was built from", async () => {
    const compiled = await compileMesh(join(dir, "base.ts"));
    assert.ok(compiled.snapshot && compiled.ir);
    const out = join(dir, "build-base");
    await writeBuildDir(out, renderBuild(compiled.ir.name, compiled.snapshot));
    const same = await report(out, join(dir, "base.ts"));
    assert.equal(same.changed, false);
    const r = await report(out, join(dir, "head.ts"));
    const fromMeshes = await report(join(dir, "base.ts"), join(dir, "head.ts"));
    assert.deepEqual(r.blastRadius, fromMeshes.blastRadius);
    assert.deepEqual(
      r.resources.map((x) => [x.type, x.name, x.fields.map((f) => f.path)]),
      fromMeshes.resources.map((x) => [x.type, x.name, x.fields.map((f) => f.path)]),
    );
  });

  test("CLI: exit 0 for no change, 1 for changes, human output one line per field, NO_COLOR", () => {
    const same = meshc(["diff", "base.ts", "base.ts"], dir);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /No changes/);
    const r = meshc(["diff", "base.ts", "head.ts"], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^Blast radius: 2 of 4 proxies change; resources: 3 changed, 0 added, 0 removed$/m);
    assert.match(r.stdout, /^  ~ cluster outbound\|9080\|\|reviews: circuit_breakers\.thresholds\[0\]\.max_requests 200 -> 100  head\.ts:\d+:\d+$/m);
    assert.match(r.stdout, /^admin, web \(2 proxies\):$/m);
    assert.ok(r.stdout.indexOf("Blast radius") < r.stdout.indexOf("~ cluster"), "blast radius first");
    assert.doesNotMatch(r.stdout, /\x1b\[/);
  });

  test("markdown: a value's backticks cannot close its code span (no markdown injected into a PR comment)", async () => {
    const rep = await report(join(dir, "base.ts"), join(dir, "head.ts"));
    const field = rep.resources.flatMap((r) => ("fields" in r ? r.fields : [])).find((f) => f.op === "changed")!;
    field.after = "``  **LGTM** [ok](https://e.vil) ``";
    field.before = "a ``` b";
    const md = renderDiff(rep, "markdown", {});
    assert.ok(md.includes("| ``` \"``  **LGTM** [ok](https://e.vil) ``\" ``` |"), md);
    assert.ok(md.includes("| ```` \"a ``` b\" ```` |"), md);
  });

  test("colour only when asked (TTY without NO_COLOR)", async () => {
    const rep = await report(join(dir, "base.ts"), join(dir, "head.ts"));
    assert.match(renderDiff(rep, "human", { color: true }), /\x1b\[33m~\x1b\[0m cluster/);
    assert.doesNotMatch(renderDiff(rep, "human", { color: false }), /\x1b\[/);
  });

  test("CLI: json and markdown are stable and complete", () => {
    const a = meshc(["diff", "base.ts", "head.ts", "--format", "json"], dir);
    const b = meshc(["diff", "base.ts", "head.ts", "--format", "json"], dir);
    assert.equal(a.code, 1);
    assert.equal(a.stdout, b.stdout, "byte-identical across processes");
    const json = JSON.parse(a.stdout) as DiffReport;
    assert.equal(json.base, "base.ts");
    assert.deepEqual(Object.keys(json), ["base", "head", "changed", "blastRadius", "resources"]);
    const md = meshc(["diff", "base.ts", "head.ts", "--format", "markdown"], dir);
    assert.equal(md.code, 1);
    assert.match(md.stdout, /^\*\*Blast radius:\*\* 2 of 4 proxies change; resources: 3 changed, 0 added, 0 removed\.$/m);
    assert.match(md.stdout, /^\| `admin` \| ~1 \| ~1 \|$/m);
    assert.match(md.stdout, /\| ~ \| cluster `outbound\\\|9080\\\|\\\|reviews` \| `circuit_breakers\.thresholds\[0\]\.max_requests` \| `200` \| `100` \| `head\.ts:\d+:\d+` \|/);
    const limited = meshc(["diff", "base.ts", "head.ts", "--format", "markdown", "--max-resources", "1"], dir);
    assert.match(limited.stdout, /2 more resource changes not shown/);
  });

  test("git sides: git:<ref>[:path], the path borrowed from the other side, from a subfolder", () => {
    const sub = join(repo, "infra");
    const borrowed = meshc(["diff", "git:HEAD~1", "mesh.ts", "--format", "json"], sub);
    assert.equal(borrowed.code, 1, borrowed.stderr);
    const viaRefs = meshc(["diff", "git:HEAD~1:infra/mesh.ts", "git:HEAD:./mesh.ts", "--format", "json"], sub);
    assert.equal(viaRefs.code, 1, viaRefs.stderr);
    const a = JSON.parse(borrowed.stdout) as DiffReport;
    const b = JSON.parse(viaRefs.stdout) as DiffReport;
    assert.deepEqual(b.blastRadius, a.blastRadius);
    assert.equal(a.blastRadius.resources.changed, 3);
    // Source lines of a git side name the revision and the repository path.
    assert.ok(b.resources.some((x) => x.fields.some((f) => /^HEAD:infra\/mesh\.ts:\d+:\d+$/.test(f.source ?? ""))), viaRefs.stdout);
    const same = meshc(["diff", "git:HEAD", "mesh.ts"], sub);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(git(["status", "--porcelain"], repo), "", "the working tree is untouched");
  });

  test("snapshot variants are proxies of their own: a change only one instance's sidecar sees is reported", async () => {
    // Two sidecars of web on one host, each with its own ports, get a snapshot each (instance variants); moving the
    // second one's app port changes only that instance's inbound cluster, not web's default snapshot.
    const twoSidecars = (app: number) => `import { defineMesh, http } from "meshc";

export default defineMesh({ name: "host", trustDomain: "host.example" }, (mesh) => {
  mesh.service("web", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [
      { address: "127.0.0.1", ports: { web: 8081 }, sidecar: { adminPort: 15100, outboundPort: 15101, app: { web: 3001 } } },
      { address: "127.0.0.1", ports: { web: 8082 }, sidecar: { adminPort: 15200, outboundPort: 15201, app: { web: ${app} } } },
    ],
  });
});
`;
    writeFileSync(join(dir, "host-base.ts"), twoSidecars(3002));
    writeFileSync(join(dir, "host-head.ts"), twoSidecars(3003));
    const r = await report(join(dir, "host-base.ts"), join(dir, "host-head.ts"));
    assert.equal(r.changed, true);
    assert.deepEqual(r.blastRadius.proxies, { base: 3, head: 3, changed: 1, added: 0, removed: 0, names: ["web/instance/127.0.0.1%3A8082"] });
    assert.deepEqual(
      r.resources.map((x) => [x.type, x.name, x.proxies]),
      [["cluster", "inbound|8082", ["web/instance/127.0.0.1%3A8082"]]],
    );
    // The mesh.ts line behind it is web's (the proxy name's service part finds the service).
    assert.match(twoSidecars(3003).split("\n")[Number(/:(\d+):\d+$/.exec(r.resources[0]!.source ?? "")?.[1]) - 1] ?? "", /mesh\.service\("web"/);
    const cli = meshc(["diff", join(dir, "host-base.ts"), join(dir, "host-head.ts")], dir);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /web\/instance\/127\.0\.0\.1%3A8082/);
  });

  test("errors exit 2 with a clear message: missing file, unknown ref, a side that does not compile", () => {
    const missing = meshc(["diff", "nope.ts", "head.ts"], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /meshc diff: nope\.ts: cannot read the base side: no such file or directory/);
    assert.equal(missing.stdout, "");
    const ref = meshc(["diff", "git:no-such-branch", "mesh.ts"], join(repo, "infra"));
    assert.equal(ref.code, 2);
    assert.match(ref.stderr, /unknown git revision "no-such-branch"/);
    const notRepo = meshc(["diff", "git:HEAD:mesh.ts", "head.ts"], dir);
    assert.equal(notRepo.code, 2);
    assert.match(notRepo.stderr, /not inside a git repository/);
    writeFileSync(join(dir, "broken.ts"), HEAD.replace("calls: [catalog, reviews]", "calls: [catalogg, reviews]"));
    const broken = meshc(["diff", "base.ts", "broken.ts"], dir);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /error\[MESH0001\] broken\.ts:\d+:\d+: Cannot find name 'catalogg'/);
    assert.match(broken.stderr, /meshc diff: broken\.ts: the head mesh broken\.ts does not compile/);
    const flag = meshc(["diff", "base.ts", "head.ts", "--format", "yaml"], dir);
    assert.equal(flag.code, 2);
    const built = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(built.dependencies.microdiff, "microdiff is a runtime dependency");
  });
});
