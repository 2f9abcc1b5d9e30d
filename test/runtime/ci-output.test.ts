// CI-native output of `meshc check` and `meshc build`: machine formats (json, github, sarif) on stdout; file paths in
// github and sarif relative to the repository root (git top level, $GITHUB_WORKSPACE, --path-base) whatever folder
// the step runs in; SARIF 2.1.0 with one rule per code and its docs/diagnostics.md section as helpUri; a doc link
// per finding; a missing or unreadable input is a usage error (exit 2); a front-end stop says semantic checks did
// not run. The CLI runs from source in a subprocess, in a temporary git repository whose mesh lives in infra/.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Log } from "sarif";
import { listCodes } from "../../src/analysis/codes.js";
import { docsAnchor } from "../../src/diagnostics/ci.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(REPO, "src", "cli", "main.ts");
const TSX = import.meta.resolve("tsx");

const GOOD = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "m", trustDomain: "m.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.2:8080"], calls: [api] });
});
`;
const TYPE_ERROR = GOOD.replace("calls: [api]", "calls: [apii]");
// Passes the type check; analysis finds an app port equal to the inbound port (MESH0207).
const SEMANTIC_ERROR = GOOD.replace('mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }', 'mesh.service("api", { ports: { web: http(8080) }');

let repo: string;
let infra: string;

function meshc(args: string[], cwd: string, env: Record<string, string> = {}) {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_TEST_CONTEXT|GITHUB_.*|MESHC_.*)$/.test(k)) base[k] = v;
  const r = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], { cwd, encoding: "utf8", env: { ...base, NO_COLOR: "1", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  repo = realpathSync(mkdtempSync(join(tmpdir(), "meshc-ci-output-")));
  infra = join(repo, "infra");
  mkdirSync(infra);
  execFileSync("git", ["init", "-q"], { cwd: repo });
  writeFileSync(join(infra, "mesh.ts"), GOOD);
  writeFileSync(join(infra, "typo.ts"), TYPE_ERROR);
  writeFileSync(join(infra, "loop.ts"), SEMANTIC_ERROR);
});
after(() => rmSync(repo, { recursive: true, force: true }));

test("--format github: on stdout, file= relative to the git top level from a subfolder, a docs line per finding", () => {
  const r = meshc(["check", "typo.ts", "--format", "github"], infra);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, /^::error file=infra\/typo\.ts,line=4,col=\d+,endLine=4,endColumn=\d+,title=MESH0001::Cannot find name 'apii'/m);
  assert.match(r.stdout, /%0Adocs: .*docs\/diagnostics\.md#mesh0001-typeerror/);
  // The front end stopped the pipeline: say so.
  assert.match(r.stdout, /^::notice title=meshc::semantic checks did not run: type errors \(MESH0001\) stopped the pipeline/m);
  // $GITHUB_WORKSPACE and --path-base take precedence, in that order reversed.
  const ws = meshc(["check", "typo.ts", "--format", "github"], infra, { GITHUB_WORKSPACE: infra });
  assert.match(ws.stdout, /^::error file=typo\.ts,/m);
  const flag = meshc(["check", "typo.ts", "--format", "github", "--path-base", ".."], infra, { GITHUB_WORKSPACE: infra });
  assert.match(flag.stdout, /^::error file=infra\/typo\.ts,/m);
});

test("--format sarif: SARIF 2.1.0, one rule per code with its docs section, repository-relative locations", () => {
  const r = meshc(["check", "typo.ts", "--format", "sarif"], infra);
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout) as Log;
  assert.equal(log.version, "2.1.0");
  assert.equal(log.$schema, "https://json.schemastore.org/sarif-2.1.0.json");
  const run = log.runs[0]!;
  const rules = run.tool.driver.rules!;
  assert.deepEqual(rules.map((x) => x.id), listCodes().map((c) => c.code));
  // Every helpUri points at a section that exists in the shipped docs/diagnostics.md.
  const docs = readFileSync(join(REPO, "docs", "diagnostics.md"), "utf8");
  const anchors = new Set([...docs.matchAll(/^## (MESH\d{4} \w+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/ /g, "-")));
  for (const rule of rules) {
    assert.equal(rule.helpUri, `${pathToFileURL(join(REPO, "docs", "diagnostics.md")).href}#${docsAnchor(rule.id)}`);
    assert.ok(anchors.has(docsAnchor(rule.id)), `${rule.id}: no section #${docsAnchor(rule.id)} in docs/diagnostics.md`);
    assert.ok(rule.help?.text && rule.shortDescription?.text);
  }
  assert.deepEqual(run.originalUriBaseIds, { SRCROOT: { uri: pathToFileURL(repo).href + "/" } });
  const result = run.results![0]!;
  assert.equal(result.ruleId, "MESH0001");
  assert.equal(rules[result.ruleIndex!]!.id, "MESH0001");
  assert.equal(result.level, "error");
  assert.deepEqual(result.locations![0]!.physicalLocation!.artifactLocation, { uri: "infra/typo.ts", uriBaseId: "SRCROOT" });
  assert.equal(result.locations![0]!.physicalLocation!.region!.startLine, 4);
  assert.match(run.invocations![0]!.toolExecutionNotifications![0]!.message.text!, /semantic checks did not run/);
  // A docs base of your own, e.g. the docs on your mirror.
  const own = meshc(["check", "typo.ts", "--format", "sarif"], infra, { MESHC_DOCS_URL: "https://docs.example.invalid/diagnostics.md" });
  assert.equal((JSON.parse(own.stdout) as Log).runs[0]!.tool.driver.rules![0]!.helpUri, "https://docs.example.invalid/diagnostics.md#mesh0001-typeerror");
  // A clean mesh is a valid, empty log.
  const clean = meshc(["check", "mesh.ts", "--format", "sarif"], infra);
  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual((JSON.parse(clean.stdout) as Log).runs[0]!.results, []);
});

test("semantic checks: the note appears only when the front end stopped the pipeline", () => {
  const typo = meshc(["check", "typo.ts"], infra);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /note: semantic checks did not run: type errors \(MESH0001\) stopped the pipeline/);
  assert.match(typo.stderr, /^  docs: .*diagnostics\.md#mesh0001-typeerror$/m);
  const loop = meshc(["check", "loop.ts"], infra);
  assert.equal(loop.code, 1);
  assert.match(loop.stderr, /error\[MESH0207\]/);
  assert.doesNotMatch(loop.stderr, /semantic checks did not run/);
});

test("--format json: on stdout for check and build, each finding with its docs link", () => {
  const check = meshc(["check", "typo.ts", "--format", "json"], infra);
  assert.equal(check.code, 1);
  const rows = JSON.parse(check.stdout) as { code: string; docs: string }[];
  assert.match(rows[0]!.docs, /diagnostics\.md#mesh0001-typeerror$/);
  const build = meshc(["build", "loop.ts", "--out", join(repo, "out"), "--format", "json"], infra);
  assert.equal(build.code, 1);
  assert.equal(build.stderr, "");
  assert.equal((JSON.parse(build.stdout) as { code: string }[])[0]!.code, "MESH0207");
});

test("a missing or unreadable input is a usage error (exit 2) with a clear message, for check and build", () => {
  for (const cmd of [["check"], ["build", "--out", join(repo, "out")]]) {
    const missing = meshc([cmd[0]!, "nope.ts", ...cmd.slice(1), "--format", "json"], infra);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`meshc ${cmd[0]}: cannot read nope\\.ts: no such file`));
    assert.equal(missing.stdout, "");
    const folder = meshc([cmd[0]!, ".", ...cmd.slice(1)], infra);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /\. is a directory, not a mesh module/);
  }
});
