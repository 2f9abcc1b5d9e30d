// One `meshc ca rotate` at a time per CA directory (src/pki/ca-lock.ts). Without the lock, two rotations started
// together both pass the phase check, each writes its own new root, and ca.json ends up committing to one root while
// ca-cert.pem holds the other: serve then refuses the directory.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CA_FILES, initCa, loadCa, readCaMeta, rotateCa } from "../../src/pki/ca-dir.js";
import { CA_LOCK } from "../../src/pki/ca-lock.js";

const work = mkdtempSync(join(tmpdir(), "meshc-ca-lock-"));
after(() => rmSync(work, { recursive: true, force: true }));
const CLI = join(process.cwd(), "dist", "cli.js");

test("two rotations started together: one is refused, the directory stays loadable", async () => {
  const dir = join(work, "together");
  await initCa(dir);
  const results = await Promise.allSettled([rotateCa(dir), rotateCa(dir)]);
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(refused.length, 1, `exactly one refused: ${results.map((r) => r.status).join(", ")}`);
  assert.match(String((refused[0] as PromiseRejectedResult).reason), /another meshc \(pid \d+\) is changing the CA/);
  const ca = await loadCa(dir);
  assert.equal(readCaMeta(dir).phase, "overlap");
  assert.equal(ca.bundle.length, 2, "old and new root trusted");
  assert.ok(!readdirSync(dir).includes(CA_LOCK), "the lock is released");
  await rotateCa(dir, { finish: true });
  assert.equal(readCaMeta(dir).phase, "single");
});

test("the CLI refuses while a live process holds the lock and takes over a dead holder's lock", async () => {
  const dir = join(work, "cli");
  await initCa(dir);
  const before = readFileSync(join(dir, CA_FILES.cert), "utf8");
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    writeFileSync(join(dir, CA_LOCK), `${holder.pid}\n`, { mode: 0o600 });
    const r = spawnSync(process.execPath, [CLI, "ca", "rotate", "--ca", dir], { encoding: "utf8" });
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stderr, new RegExp(`another meshc \\(pid ${holder.pid}\\) is changing the CA`));
    assert.equal(readFileSync(join(dir, CA_FILES.cert), "utf8"), before, "nothing changed");
    assert.equal(readCaMeta(dir).phase, "single");
  } finally {
    holder.kill("SIGKILL");
  }
  await new Promise((r) => holder.once("exit", r));
  // The holder is gone (a crashed rotation): its lock is stale, and rotating is safe to run again.
  const r = spawnSync(process.execPath, [CLI, "ca", "rotate", "--ca", dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readCaMeta(dir).phase, "overlap");
  assert.ok(!readdirSync(dir).includes(CA_LOCK), "the lock is released");
});
