// src/runtime/temp-dirs.ts: temp folders go however the process ends (process.exit from a signal handler, an
// uncaught exception, a normal end), and a worker's script file comes back when something removed it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { liveTempDirs, makeTempDir, processScript, removeTempDir } from "../../src/runtime/temp-dirs.js";

const module = fileURLToPath(new URL("../../src/runtime/temp-dirs.ts", import.meta.url));

test("folders still there at exit are removed: process.exit, an uncaught exception, a normal end", () => {
  for (const ending of ["process.exit(3)", "throw new Error('boom')", "undefined"]) {
    const code = `const t = await import(${JSON.stringify(module)}); const d = t.makeTempDir("meshc-exit-test-"); t.processScript("w.mjs", "x"); console.log(JSON.stringify([d, t.liveTempDirs()])); ${ending};`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8" });
    const [dir, live] = JSON.parse(r.stdout.trim()) as [string, string[]];
    assert.equal(live.length, 2, "the folder and the scripts' folder were made");
    for (const d of live) assert.equal(existsSync(d), false, `${ending}: ${d} is gone`);
    assert.ok(live.includes(dir));
  }
});

// A child that makes a folder, prints it and waits; `extra` runs after (e.g. a listener of its own).
async function killedChild(signal: NodeJS.Signals, extra = ""): Promise<{ dir: string; code: number | null; signal: NodeJS.Signals | null }> {
  const code = `const t = await import(${JSON.stringify(module)}); const d = t.makeTempDir("meshc-signal-test-"); ${extra}; console.log(d); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (out += chunk));
  while (!out.includes("\n")) await once(child.stdout, "data");
  const ended = once(child, "exit");
  child.kill(signal);
  const [exitCode, exitSignal] = (await ended) as [number | null, NodeJS.Signals | null];
  return { dir: out.trim(), code: exitCode, signal: exitSignal };
}

test("a signal that ends the process by default removes the folders and still ends it by that signal", async () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    const r = await killedChild(signal);
    assert.equal(r.signal, signal, `${signal}: the process still ends by the signal`);
    assert.equal(existsSync(r.dir), false, `${signal}: ${r.dir} is gone`);
  }
});

test("a signal another listener handles is left to it; its process.exit removes the folders", async () => {
  const r = await killedChild("SIGTERM", `process.on("SIGTERM", () => setTimeout(() => process.exit(7), 50))`);
  assert.equal(r.code, 7, "the program's own handler decided how it ended");
  assert.equal(existsSync(r.dir), false);
});

test("a folder removed before exit is forgotten; a removed script is written again", () => {
  const d = makeTempDir("meshc-test-");
  assert.ok(liveTempDirs().includes(d));
  removeTempDir(d);
  assert.equal(existsSync(d), false);
  assert.equal(liveTempDirs().includes(d), false);

  const file = processScript("worker.mjs", "export {};\n");
  assert.equal(processScript("worker.mjs", "export {};\n"), file, "written once");
  rmSync(file);
  assert.equal(processScript("worker.mjs", "export {};\n"), file);
  assert.equal(readFileSync(file, "utf8"), "export {};\n");
  rmSync(dirname(file), { recursive: true }); // the whole folder, as a temp cleaner would
  const again = processScript("worker.mjs", "export {};\n");
  assert.equal(readFileSync(again, "utf8"), "export {};\n");
  assert.ok(existsSync(join(dirname(again))));
});
