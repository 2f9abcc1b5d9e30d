// Evaluating mesh.ts in an isolated worker (src/frontend/isolate.ts; issue 7 section 1). Each test reproduces a
// defect of in-process evaluation: process.exit(0) made `check` exit 0 silently and `build` write nothing with exit
// 0 (fail open); an endless loop hung the compiler; a heap blow-up or a throw in a timer killed it. Now each is
// MESH0006 ("evaluation ended without a mesh"), exit 1, nothing written (R11: a broken mesh gives a located, coded
// diagnostic and changes no output; R22: when the evaluation step itself fails, the pipeline fails closed).
// Also: the model crosses the thread boundary without losing what validation reads (values, brands, call sites).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { defineMesh, http } from "../../src/dsl/index.js";
import { loadMesh, validateModel } from "../../src/frontend/index.js";
import { decodeModel, encodeModel, WireError } from "../../src/frontend/model-wire.js";
import type { MeshModel } from "../../src/dsl/model.js";
import { positionOf, writeMesh, type TmpMesh } from "./tmp-mesh.js";

const ROOT = join(import.meta.dirname, "..", "..");
const made: TmpMesh[] = [];
const mesh = (text: string) => {
  const m = writeMesh({ "mesh.ts": text });
  made.push(m);
  return m;
};
after(() => made.forEach((m) => m.remove()));

const meshc = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args], { encoding: "utf8", timeout: 120_000 });

const HEAD = `import { defineMesh, http } from "meshc";
const g = globalThis as unknown as { process: { exit(code: number): never }; setTimeout(f: () => void, ms: number): unknown };
`;
const BODY = `export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  mesh.service("a", { ports: { web: http(8080) }, instances: ["10.0.0.1:8080"] });
});
`;

describe("isolated evaluation (R11, R22)", () => {
  test("process.exit(0) in mesh.ts: check exits 1 with MESH0006, build writes nothing", { timeout: 180_000 }, () => {
    const m = mesh(`${HEAD}g.process.exit(0);\n${BODY}`);
    const check = meshc(["check", m.entry]);
    assert.equal(check.status, 1, check.stderr);
    assert.match(check.stderr, /error\[MESH0006\] .*mesh\.ts:1:1: evaluation ended without a mesh: .*exit code 0/);
    const out = join(m.dir, "dist");
    const build = meshc(["build", m.entry, "--out", out]);
    assert.equal(build.status, 1, build.stderr);
    assert.match(build.stderr, /MESH0006/);
    assert.ok(!existsSync(out), "nothing written");
  });

  test("an endless loop ends with MESH0006 after --eval-timeout", { timeout: 120_000 }, async () => {
    const m = mesh(`${HEAD}export default defineMesh({ name: "t", trustDomain: "t.example" }, () => {\n  for (;;) {}\n});\n`);
    const t0 = Date.now();
    const r = await loadMesh(m.entry, { timeoutMs: 1500 });
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["MESH0006"]);
    assert.match(r.diagnostics[0]!.message, /did not finish within 1500 ms \(--eval-timeout\)/);
    assert.equal(r.ir, undefined);
    assert.ok(Date.now() - t0 < 60_000);
    const cli = meshc(["check", m.entry, "--eval-timeout", "1"]);
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stderr, /MESH0006.*within 1 s/);
  });

  test("a heap blow-up ends with MESH0006 (out of memory), the compiler survives", { timeout: 120_000 }, async () => {
    const m = mesh(`${HEAD}const hog: string[][] = [];\nexport default defineMesh({ name: "t", trustDomain: "t.example" }, () => {\n  for (let i = 0; ; i++) hog.push(new Array(1000).fill("x" + i));\n});\n`);
    const r = await loadMesh(m.entry, { maxHeapMb: 64 });
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["MESH0006"]);
    assert.match(r.diagnostics[0]!.message, /ran out of memory \(heap limit 64 MiB, --eval-max-heap\)/);
  });

  test("a throw in a setTimeout callback is MESH0006 at the throw", { timeout: 120_000 }, async () => {
    const text = `${HEAD}g.setTimeout(() => {\n  throw new Error("boom in a timer");\n}, 0);\nexport default defineMesh({ name: "t", trustDomain: "t.example" }, async (mesh) => {\n  await new Promise((r) => g.setTimeout(() => r(undefined), 300));\n  mesh.service("a", { ports: { web: http(8080) }, instances: [] });\n});\n`;
    const m = mesh(text);
    const r = await loadMesh(m.entry);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.file, d.line]), [["MESH0006", m.entry, positionOf(text, "throw new Error").line]]);
    assert.match(r.diagnostics[0]!.message, /evaluation ended without a mesh: an uncaught error: boom in a timer/);
  });

  test("a default export that never settles ends the worker: MESH0006, not a hang", { timeout: 120_000 }, async () => {
    const m = mesh(`${HEAD}export default defineMesh({ name: "t", trustDomain: "t.example" }, () => new Promise<void>(() => {}));\n`);
    const r = await loadMesh(m.entry, { timeoutMs: 20_000 });
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["MESH0006"]);
  });

  test("a clean mesh still compiles, and console output of mesh.ts does not reach stdout", { timeout: 120_000 }, () => {
    const m = mesh(`${HEAD}(globalThis as unknown as { console: { log(s: string): void } }).console.log("hello from mesh.ts");\n${BODY}`);
    const r = meshc(["print-ir", m.entry]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /hello from mesh\.ts/);
    assert.match(r.stderr, /hello from mesh\.ts/);
    assert.equal((JSON.parse(r.stdout) as { services: { name: string }[] }).services[0]!.name, "a");
  });
});

describe("what a mesh module does to the process (it is not sandboxed: mistakes, not malice)", () => {
  const SIG = `import { defineMesh, http } from "meshc";
const g = globalThis as unknown as { process: { pid: number; kill(pid: unknown, signal?: string): void; _kill(pid: unknown, signal: number): number } };
`;
  test("a signal to meshc is refused however its pid is spelled (a string, a float, process._kill)", { timeout: 180_000 }, () => {
    for (const call of [`g.process.kill(String(g.process.pid), "SIGKILL")`, `g.process.kill(g.process.pid + 0.0, "SIGKILL")`, `g.process.kill(" " + g.process.pid + " ", "SIGKILL")`, `g.process._kill(String(g.process.pid), 9)`, `g.process._kill(g.process.pid + 2 ** 32, 9)`, `let i = 0; g.process._kill({ valueOf: () => (i++ === 0 ? 12345678 : g.process.pid) }, 9)`]) {
      const m = mesh(`${SIG}${call};\n${BODY}`);
      const r = meshc(["check", m.entry]);
      assert.equal(r.signal, null, `${call}: meshc was killed`);
      assert.equal(r.status, 1, r.stderr);
      // A valueOf() read once: its first answer (a pid nobody has) is the one signalled, not meshc's.
      if (!call.includes("valueOf")) assert.match(r.stderr, /a mesh module may not send signals to meshc/, call);
    }
  });

  test("a result the parent cannot afford is refused before it is parsed: its size and its object count follow --eval-max-heap", { timeout: 120_000 }, async () => {
    // A module may post its own result message. Before, 360 MB of "{}," took the compiler's heap past its limit.
    const post = (model: string) => mesh(`// @ts-nocheck (no Node types here)\nimport { parentPort } from "node:worker_threads";\nparentPort.postMessage({ kind: "model", model: ${model} });\n${BODY}`);
    const big = await loadMesh(post(`"[" + "{},".repeat(3_000_000) + "{}]"`).entry, { maxHeapMb: 64 });
    assert.deepEqual(big.diagnostics.map((d) => d.code), ["MESH0006"]);
    assert.match(big.diagnostics[0]!.message, /malformed: the model is larger than 8388608 characters/);
    const many = await loadMesh(post(`"[" + "[],".repeat(300_000) + "[]]"`).entry, { maxHeapMb: 64 });
    assert.match(many.diagnostics[0]!.message, /malformed: the model has more than 262144 objects and arrays/);
    const thrown = await loadMesh(mesh(`// @ts-nocheck\nimport { parentPort } from "node:worker_threads";\nparentPort.postMessage({ kind: "threw", error: { message: "x".repeat(1_000_000) } });\n${BODY}`).entry);
    assert.ok(thrown.diagnostics[0]!.message.length < 10_000, "a posted exception is clipped");
  });

  test("a native call that never returns: --eval-timeout still ends the evaluation, and meshc ends instead of waiting for it", { timeout: 180_000 }, () => {
    // terminate() cannot interrupt a synchronous native call, and Node joins worker threads at exit: before, check
    // printed nothing and waited for the call to return. Opening a FIFO nobody writes blocks in the kernel, and no
    // process of the module's can be killed to end it: the timeout is reported and meshc ends by SIGKILL.
    const fifoDir = mkdtempSync(join(tmpdir(), "meshc-fifo-"));
    after(() => rmSync(fifoDir, { recursive: true, force: true }));
    const fifo = join(fifoDir, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    const m = mesh(`// @ts-nocheck (no Node types here)\nimport { defineMesh, http } from "meshc";\nimport { openSync } from "node:fs";\nopenSync(${JSON.stringify(fifo)}, "r");\n${BODY}`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "check", m.entry, "--eval-timeout", "1"], { encoding: "utf8", timeout: 100_000 });
    assert.match(r.stderr, /MESH0006.*did not finish within 1 s/, r.stderr);
    assert.match(r.stderr, /stuck in a native call cannot be stopped; ending with SIGKILL/);
    assert.equal(r.signal, "SIGKILL", `ended by ${r.signal ?? `exit ${r.status}`}`);
  });

  test("a child process that never ends: its process tree is killed at --eval-timeout, and meshc exits 1 on its own", { timeout: 180_000 }, () => {
    // Before, the thread waiting in execSync counted as stuck: meshc ended by SIGKILL (exit status 137, which reads
    // as an out-of-memory kill) and the child and grandchild were left running. Now the processes the evaluation's
    // thread started are killed, the call returns, and the exit status is the diagnostic's.
    const marker = 100 + Math.floor(Math.random() * 800) + 0.25;
    const m = mesh(`// @ts-nocheck (no Node types here)\nimport { defineMesh, http } from "meshc";\nimport { execSync } from "node:child_process";\nexecSync("sh -c 'sleep ${marker}; echo done'");\n${BODY}`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "check", m.entry, "--eval-timeout", "1"], { encoding: "utf8", timeout: 100_000 });
    assert.match(r.stderr, /MESH0006.*did not finish within 1 s/, r.stderr);
    assert.doesNotMatch(r.stderr, /SIGKILL/);
    assert.equal(r.status, 1, `ended by ${r.signal ?? `exit ${r.status}`}`);
    const left = spawnSync("pgrep", ["-f", `sleep ${marker}`], { encoding: "utf8" }).stdout.trim();
    assert.equal(left, "", "no process of the module's is left running");
  });
});

describe("the type check's limits", () => {
  test("a type that explodes ends the check at --typecheck-timeout: a located MESH0001, nothing else, no hang", { timeout: 180_000 }, () => {
    // Each Exp<_, Z20> costs TypeScript about 10 s and gigabytes before TS2589; 30 of them ran for 14 minutes.
    const decls = Array.from({ length: 30 }, (_, i) => `export type E${i} = Exp<${i}, Z20>;\nexport const e${i}: E${i} | null = null;`).join("\n");
    const m = mesh(`import { defineMesh, http } from "meshc";
type Exp<T, N extends 0[]> = N extends [0, ...infer R extends 0[]] ? Exp<{ a: T }, R> | Exp<{ b: T }, R> : T;
type Z20 = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0];
${decls}
${BODY}`);
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "check", m.entry, "--typecheck-timeout", "3", "--format", "json"], { encoding: "utf8", timeout: 150_000 });
    assert.equal(r.status, 1, r.stderr);
    const diags = JSON.parse(r.stdout) as { code: string; message: string; file?: string; line?: number }[];
    assert.deepEqual(diags.map((d) => [d.code, d.file, d.line]), [["MESH0001", m.entry, 1]]);
    assert.match(diags[0]!.message, /the type check did not finish within 3 s \(--typecheck-timeout\)/);
  });
});

describe("the model on the wire", () => {
  const odd = () =>
    defineMesh({ name: "t", trustDomain: "t.example" }, (m) => {
      const shared = { region: "eu", zone: NaN as unknown as string };
      const cyclic: Record<string, unknown> = { dns: "x" };
      cyclic.self = cyclic;
      m.service("a", {
        ports: { web: http(8080), odd: http(-0 as number), big: { protocol: "http", port: 10n } as never },
        instances: [
          { address: "10.0.0.1", port: 80, locality: shared },
          { address: "10.0.0.2", port: 80, locality: shared, weight: Infinity },
          { address: "10.0.0.3", port: (() => 80) as never, labels: { when: new Date(0) as never, s: Symbol("s") as never } },
        ],
        subsets: JSON.parse('{"__proto__": {"v": "1"}}'),
      });
      m.service("b", { ports: {}, instances: cyclic as never });
      m.routes(m.service("c", { ports: { web: http(80) }, instances: [] }), (r) => [r.match().to({ service: "a" } as never).timeout("1h2" as never)]);
    });

  test("round trip: zod reports the same issues at the same call sites", () => {
    const model = odd() as MeshModel;
    const wire = encodeModel(model);
    const copy = decodeModel(structuredClone(wire)) as MeshModel;
    const before = validateModel(model);
    const afterTrip = validateModel(copy);
    assert.ok(before.length >= 4, JSON.stringify(before)); // ports, instances (one issue since per-port instance numbers), timeout
    assert.deepEqual(afterTrip, before);
    assert.ok(before.every((d) => d.file && d.line! > 0), "every issue is located");
    const loc = copy.services[0]!.instances as { locality: unknown }[];
    assert.equal(loc[0]!.locality, loc[1]!.locality, "shared objects stay shared");
    assert.equal(Object.is((copy.services[0]!.ports.odd as { port: number }).port, -0), true);
  });

  test("malformed messages are refused", () => {
    const good = JSON.parse(encodeModel(odd())) as Record<string, unknown>;
    const M = "\u0000";
    const bad: unknown[] = [
      null,
      { not: "a string" },
      "{not json",
      "[]",
      JSON.stringify({ ...good, root: { [M]: "evil" } }),
      JSON.stringify({ ...good, root: { [M]: "ref", v: 99999 } }),
      JSON.stringify({ ...good, sites: [5, 1, 1] }),
      JSON.stringify({ ...good, sites: [0, 1] }),
      JSON.stringify({ ...good, objSites: [0, 12345678] }),
      JSON.stringify({ ...good, brands: [99999, ["meshc.Mesh"]] }),
      JSON.stringify({ ...good, root: [{}], objSites: [0, 0] }), // a site on an array
      JSON.stringify({ ...good, n: 1 }), // fewer objects declared than sent
      JSON.stringify({ ...good, n: 99999 }),
      JSON.stringify({ ...good, files: [1] }),
      JSON.stringify({ ...good, root: { [M]: "big", v: "12x" } }),
      JSON.stringify(good).replace('"root":{', '"root":{"inf":1e999,'), // JSON.parse reads it as Infinity
      `${"[".repeat(300)}${"]".repeat(300)}`,
      JSON.stringify({ ...good, root: JSON.parse(`${"[".repeat(300)}${"]".repeat(300)}`), n: 300 }), // deeper than MAX_DEPTH
    ];
    for (const b of bad) assert.throws(() => decodeModel(b), WireError, JSON.stringify(b)?.slice(0, 80));
  });
});
