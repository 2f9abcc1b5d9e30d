// Runs one routing scenario for real and compares: meshc compiles the mesh, the route evaluator (src/route/)
// predicts each request's fate from the caller's compiled resources, and the caller's real Envoy sidecar (a
// static bootstrap of the same resources) serves the same requests to echo apps that say which service and
// version they are and what path and headers they received. Redirects, direct responses and fault aborts are
// read from Envoy's response (status, Location, body). Returns the first disagreement, or undefined.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticBootstrap } from "../../src/backends/envoy/static-bootstrap.js";
import { evaluateRequest, parseCluster, type MeshVerdict } from "../../src/route/request.js";
import { compileModel } from "../../src/testing/load-tests.js";
import type { EchoReply } from "../apps/http-app.js";
import { send, type Reply } from "../e2e/lib/http.js";
import { buildMesh, UPSTREAM_PORT, type Scenario } from "./scenario.js";

export interface ScenarioResult {
  accepted: boolean;
  /** meshc's errors when it refused the mesh. */
  refusal?: string;
  requests: number;
  failure?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number, proc: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`${what}: Envoy exited (${proc.exitCode}):\n${log()}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} within ${timeoutMs} ms:\n${log()}`);
}

/** What the echo apps' replies must show for a verdict, or a reason why not. */
function compare(v: MeshVerdict, reply: Reply): string | undefined {
  const o = v.route.outcome;
  const fault = v.route.fault?.abort;
  if (reply.status === 0) return `no response from Envoy: ${reply.error}`;
  if (o.kind === "no-route" || o.kind === "no-virtual-host") return reply.status === 404 ? undefined : `expected 404 (${o.kind}), Envoy answered ${reply.status} ${reply.body.slice(0, 200)}`;
  if (o.kind === "rejected") return reply.status === 400 ? undefined : `expected 400 (${o.reason}), Envoy answered ${reply.status}`;
  // The fault filter runs before the router: it aborts whatever the route does (forward, redirect, direct response).
  if (fault && fault.percent === 100) return reply.status === fault.httpStatus ? undefined : `expected fault abort ${fault.httpStatus}, Envoy answered ${reply.status} ${reply.body.slice(0, 200)}`;
  if (o.kind === "direct") {
    if (reply.status !== o.status) return `expected direct response ${o.status}, Envoy answered ${reply.status}`;
    if ((o.body ?? "") !== reply.body) return `expected body ${JSON.stringify(o.body ?? "")}, Envoy sent ${JSON.stringify(reply.body)}`;
    return undefined;
  }
  if (o.kind === "redirect") {
    if (reply.status !== o.status) return `expected redirect ${o.status}, Envoy answered ${reply.status}`;
    return reply.headers.location === o.location ? undefined : `expected Location ${o.location}, Envoy sent ${String(reply.headers.location)}`;
  }
  // Forwarded: the echo app says who it is and what it received.
  if (reply.status !== 200 || !reply.json) return `expected a reply from an echo app, Envoy answered ${reply.status} ${reply.body.slice(0, 200)}`;
  const echo = reply.json as EchoReply;
  const ok = o.clusters.some((c) => {
    const p = parseCluster(c.cluster);
    return p && c.weight > 0 && p.service === echo.service && (p.subset === undefined || p.subset === echo.version);
  });
  if (!ok) return `expected one of ${o.clusters.map((c) => c.cluster).join(", ")}, reached ${echo.service} ${echo.version}`;
  if (echo.path !== o.upstreamPath) return `expected upstream path ${JSON.stringify(o.upstreamPath)}, the app received ${JSON.stringify(echo.path)}`;
  for (const name of ["x-a", "x-b", "x-set"]) {
    let want: string | undefined = v.request.headers[name];
    if (v.route.requestHeaders.remove.includes(name)) want = undefined;
    for (const s of v.route.requestHeaders.set) if (s.name === name) want = s.value;
    if (echo.headers[name] !== want) return `expected header ${name} ${JSON.stringify(want)} upstream, the app received ${JSON.stringify(echo.headers[name])}`;
  }
  const expected = echo.headers["x-envoy-expected-rq-timeout-ms"];
  const want = o.timeoutMs === null ? undefined : String(o.timeoutMs);
  if (expected !== want) return `expected route timeout ${want ?? "none"} ms (x-envoy-expected-rq-timeout-ms), the app received ${JSON.stringify(expected)}`;
  return undefined;
}

export async function runScenario(s: Scenario, envoyPath: string, echoPorts: number[][]): Promise<ScenarioResult> {
  const ports = { admin: await freePort(), outbound: await freePort() };
  const compiled = compileModel(buildMesh(s, ports, echoPorts), process.cwd());
  if (!compiled.ir || !compiled.snapshot) {
    return { accepted: false, requests: 0, refusal: compiled.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`).join("\n") };
  }
  const { ir, snapshot } = compiled;
  const dir = mkdtempSync(join(tmpdir(), "meshc-route-diff-"));
  const file = join(dir, "bootstrap.json");
  writeFileSync(file, JSON.stringify(staticBootstrap(ir, "client", snapshot)));
  let log = "";
  const proc = spawn(envoyPath, ["-c", file, "--disable-hot-restart", "--concurrency", "1", "-l", "warning", "--log-format", "%v"], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  proc.stderr!.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  try {
    await waitFor(async () => (await send({ port: ports.admin, path: "/ready", timeoutMs: 2000 })).body.trim() === "LIVE", "Envoy to be ready", 60_000, proc, () => log);
    let n = 0;
    for (const r of s.requests) {
      const host = r.host === 2 ? "unknown.example" : r.host === 1 ? `svc${r.to}:${UPSTREAM_PORT(r.to)}` : `svc${r.to}`;
      const v = evaluateRequest(ir, snapshot, { from: "client", to: `svc${r.to}`, authority: host, method: r.method, path: r.path, headers: r.headers });
      const reply = await send({ port: ports.outbound, host, method: r.method, path: r.path, headers: r.headers, timeoutMs: 15_000 });
      n++;
      const problem = compare(v, reply);
      if (problem) {
        const trace = v.route.checks.map((c) => `  #${c.index} ${c.name}: ${c.matched ? "matches" : c.failed}`).join("\n");
        return { accepted: true, requests: n, failure: `request ${r.method} ${host}${r.path} ${JSON.stringify(r.headers)}: ${problem}\nevaluator's trace:\n${trace}` };
      }
    }
    return { accepted: true, requests: n };
  } finally {
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
}
