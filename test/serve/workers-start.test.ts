// `meshc serve --workers N` start-up (now the default: one worker per core): a snapshot published while a worker is
// still starting must reach it in full once it is ready. The defect: the primary marked the snapshot's resources as
// held by a worker whose message it had dropped (not ready yet), so that worker's first snapshot lacked them, it
// exited at start ("resource ... was neither sent nor held") and was forked again (restarts > 0, MESH0910 logged).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { compileMesh } from "../../src/pipeline.js";
import { startServe } from "../../src/serve/serve.js";

const dir = mkdtempSync(join(tmpdir(), "meshc-workers-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mesh = (n: number) => `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "ws", trustDomain: "ws.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.1.0.${n}:8080"] });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.2.0.1:8080"], calls: [api] });
});
`;

test("workers: a snapshot published while a worker (re)starts reaches it in full; it does not exit at start", { timeout: 300_000 }, async (t) => {
  const entry = join(dir, "mesh.ts");
  writeFileSync(entry, mesh(1));
  const errors: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void errors.push(line) });
  const h = await startServe({ source: entry, xdsAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:0", watch: false, stateDir: false, workers: 2, logger });
  t.after(() => h.close());
  writeFileSync(join(dir, "two.ts"), mesh(2));
  const second = (await compileMesh(join(dir, "two.ts"))).snapshot;
  assert.ok(second, "the second mesh compiles");
  type Ready = { workers: { slot: number; pid?: number; listening: boolean; current: boolean; restarts: number }[] };
  const readyz = async () => (await (await fetch(`http://127.0.0.1:${h.adminPort}/readyz`)).json()) as Ready;
  const until = async (f: (r: Ready) => boolean, what: string) => {
    const end = Date.now() + 120_000;
    for (;;) {
      const r = await readyz();
      if (f(r)) return r;
      assert.ok(Date.now() < end, `${what}: ${JSON.stringify(r)}\n${errors.join("")}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  };
  const first = await until((r) => r.workers.every((w) => w.listening && w.current), "both workers serving");
  // Worker 2 dies; the primary forks it again. While the new process is still loading (not ready), a snapshot is
  // published: it must reach that worker in full once it is ready.
  const old = first.workers[1]!;
  process.kill(old.pid!, "SIGKILL");
  await until((r) => r.workers[1]!.pid !== undefined && r.workers[1]!.pid !== old.pid, "worker 2 forked again");
  h.xds.setSnapshot(second);
  const after = await until((r) => r.workers.every((w) => w.listening && w.current), "both workers serving the new snapshot");
  assert.deepEqual(after.workers.map((w) => w.restarts), [0, 1], `worker 2 restarted once (the kill), not again at start:\n${errors.join("")}`);
  assert.doesNotMatch(errors.join(""), /neither sent nor held/);
});
