// An edit whose evaluation is stuck in a native call (a blocking system call or a long crypto call: terminate()
// cannot interrupt it; a child process is killed instead, test/frontend/isolate.test.ts) under `meshc serve`: before, the reload never finished (`/readyz` said compiling for good),
// the next good edit was never loaded, and SIGTERM left the process alive, joined to the stuck thread. Now the
// reload ends at --eval-timeout (MESH0006, the previous snapshot keeps serving), the next edit loads, and shutdown
// ends the process (by SIGKILL, the only way past a stuck thread). Ports 22302-22303.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { spawnMeshc } from "../bootstrap/cli-helpers.js";
import { eventually } from "../xds/harness.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-stuck-eval-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const meshOf = (services: string[], head = "") => `${head}import { defineMesh, http } from "meshc";
export default defineMesh({ name: "s", trustDomain: "s.example" }, (mesh) => {
${services.map((s, i) => `  mesh.service("${s}", { ports: { web: http(${8080 + i}, { app: ${3000 + i} }) }, instances: ["10.0.0.${i + 1}:${8080 + i}"] });`).join("\n")}
});
`;

test("serve: a reload stuck in a native call times out, the next edit loads, SIGTERM ends the process", { timeout: 240_000 }, async (t) => {
  const entry = join(dir, "mesh.ts");
  writeFileSync(entry, meshOf(["a"]));
  const [xds, admin] = [22302, 22303];
  const child = spawnMeshc(["serve", entry, "--xds", `127.0.0.1:${xds}`, "--admin", `127.0.0.1:${admin}`, "--no-state", "--eval-timeout", "1", "--debounce", "50"]);
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once("exit", (code, signal) => r([code, signal])));
  t.after(() => child.kill("SIGKILL"));
  const services = async () => (await (await fetch(`http://127.0.0.1:${admin}/debug/snapshot`)).json()) as string[];
  await eventually(async () => (await fetch(`http://127.0.0.1:${admin}/readyz`)).status === 200, "meshc serve ready", 180_000, 200);

  // Opening a FIFO nobody writes blocks in the kernel: no process of the module's can be killed to end it.
  const fifo = join(dir, "fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
  writeFileSync(entry, `// @ts-nocheck (no Node types here)\nimport { openSync } from "node:fs";\nopenSync(${JSON.stringify(fifo)}, "r");\n${meshOf(["a", "stuck"])}`);
  await eventually(async () => {
    const d = (await (await fetch(`http://127.0.0.1:${admin}/debug/diagnostics`)).json()) as { diagnostics?: { code: string; message: string }[] } | null;
    return d?.diagnostics?.some((x) => x.code === "MESH0006" && /within 1 s/.test(x.message)) === true;
  }, "the stuck reload to time out (MESH0006)", 60_000, 200);
  assert.deepEqual(await services(), ["a"], "the previous snapshot keeps serving");

  writeFileSync(entry, meshOf(["a", "b"]));
  await eventually(async () => (await services()).includes("b"), "the next edit to load", 60_000, 200);

  child.kill("SIGTERM");
  const ended = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
  assert.notEqual(ended, "hung", `meshc serve did not end after SIGTERM:\n${log.slice(-3000)}`);
  assert.deepEqual(ended, [null, "SIGKILL"], log.slice(-2000));
  assert.match(log, /stuck in a native call cannot be stopped; ending with SIGKILL/);
});
