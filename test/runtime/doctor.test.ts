// `meshc doctor` end to end: the CLI runs from source in a child process, with fake Envoy scripts standing in so
// each case controls what is found. Exit codes follow the CLI convention: 0 ok, 1 findings, 2 usage error.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "meshc-doctor-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function fakeEnvoy(name: string, version: string): string {
  const p = join(tmp, name);
  writeFileSync(p, `#!/bin/sh\necho "envoy  version: 0123abcd/${version}/Clean/RELEASE/BoringSSL"\n`);
  chmodSync(p, 0o755);
  return p;
}
const envoy140 = fakeEnvoy("envoy-1.40", "1.40.0");
const envoy139 = fakeEnvoy("envoy-1.39", "1.39.2");

function meshc(args: string[], env: Record<string, string> = {}) {
  const { ENVOY_BIN: _, NODE_TEST_CONTEXT: __, ...base } = process.env;
  const r = spawnSync(process.execPath, ["--import", "tsx", join(repo, "src", "cli", "main.ts"), ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...base, NO_COLOR: "1", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("doctor --json reports meshc, Node, TypeScript and the Envoy found, exit 0 when pinned", () => {
  const r = meshc(["doctor", "--json"], { ENVOY_BIN: envoy140 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
  const ts = createRequire(import.meta.url)("typescript/package.json") as { version: string };
  assert.deepEqual(report, {
    advice: [],
    envoy: { found: true, matchesPin: true, path: envoy140, pinned: "1.40.x", source: "ENVOY_BIN", version: "1.40.0" },
    meshc: { root: repo, version: pkg.version },
    node: { supported: true, version: process.version },
    ok: true,
    typescript: { version: ts.version },
  });
  // Keys are sorted, so the output is byte-stable.
  assert.deepEqual(Object.keys(report), ["advice", "envoy", "meshc", "node", "ok", "typescript"]);
});

test("--envoy beats ENVOY_BIN, and an Envoy outside 1.40.x is a finding (exit 1) with the fix", () => {
  const r = meshc(["doctor", "--envoy", envoy139], { ENVOY_BIN: envoy140 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^envoy +1\.39\.2 at .*envoy-1\.39 \(via --envoy\), not the pinned 1\.40\.x$/m);
  assert.match(r.stdout, /✖ .*envoy-1\.39 is Envoy 1\.39\.2, meshc is pinned to 1\.40\.x: run `npm run envoy:install`/);
});

test("a missing Envoy says what to do and exits 1; NO_COLOR leaves no escape codes", () => {
  const missing = join(tmp, "no-such-envoy");
  const r = meshc(["doctor"], { ENVOY_BIN: missing });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^typescript +\d+\.\d+\.\d+/m);
  assert.match(r.stdout, /^envoy +not found$/m);
  assert.match(r.stdout, new RegExp(`tried ENVOY_BIN=${missing} \\(not an executable file\\)`));
  assert.match(r.stdout, /✖ Envoy 1\.40 not found: ENVOY_BIN=.* is not an executable file/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

test("usage errors exit 2 with commander's message on stderr", () => {
  const r = meshc(["doctor", "--no-such-flag"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
  assert.equal(r.stdout, "");
  const unknown = meshc(["no-such-command"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'no-such-command'/);
});
