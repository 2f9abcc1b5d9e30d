// Real-Envoy harness for the authorization tests: compiles a hand-built IR, runs each protected service's sidecar
// from a static bootstrap (its snapshot inlined) in front of a recording app, and sends raw HTTP/1.1 request lines
// over TCP so that no client library normalizes the paths under test. Ports are fixed: run inside a private network
// namespace (see the common brief).
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticBootstrap } from "../../src/backends/envoy/static-bootstrap.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { formatIssue } from "../../src/backends/envoy/api/issues.js";
import type { MeshIR } from "../../src/ir/types.js";

export interface RecordingApp {
  server: Server;
  /** Raw request targets (req.url) the app received, in order. */
  seen: string[];
  close(): Promise<void>;
}

export async function recordingApp(port: number): Promise<RecordingApp> {
  const seen: string[] = [];
  const server = createServer({ insecureHTTPParser: true }, (req, res) => {
    seen.push(req.url ?? "");
    res.writeHead(200, { "content-type": "text/plain" }).end(`app saw ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface RunningEnvoy {
  proc: ChildProcess;
  adminPort: number;
  dir: string;
  /** Envoy's stdout (stdout access logs). */
  stdoutPath: string;
  stop(): Promise<void>;
}

/** Starts Envoy with `service`'s whole snapshot as static resources; resolves once its listeners accept. */
export async function startSidecar(envoyPath: string, ir: MeshIR, service: string, probePort: number, options: Parameters<typeof staticBootstrap>[3] = {}): Promise<RunningEnvoy> {
  const { snapshot, issues } = translateMesh(ir);
  if (issues.length) throw new Error(issues.map(formatIssue).join("\n"));
  const bootstrap = staticBootstrap(ir, service, snapshot, options);
  const dir = mkdtempSync(join(tmpdir(), `meshc-authz-${service}-`));
  const file = join(dir, "bootstrap.json");
  writeFileSync(file, JSON.stringify(bootstrap));
  // Envoy's stdout (stdout access logs, e.g. dry-run authorization decisions) goes to a file the test can read.
  const stdoutPath = join(dir, "stdout.log");
  const out = openSync(stdoutPath, "w");
  const proc = spawn(envoyPath, ["-c", file, "--concurrency", "1", "--disable-hot-restart", "--log-level", "warning", "--log-path", join(dir, "envoy.log")], { stdio: ["ignore", out, "ignore"] });
  closeSync(out);
  const svc = ir.services.find((s) => s.name === service)!;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`envoy for ${service} exited with ${proc.exitCode} (log in ${dir})`);
    // Envoy's admin /ready says LIVE once every listener is up (works for TLS listeners too).
    const ready = await fetch(`http://127.0.0.1:${svc.sidecar.adminPort}/ready`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`envoy for ${service} not ready in 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    adminPort: svc.sidecar.adminPort,
    dir,
    stdoutPath,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawReply {
  status: number;
  raw: string;
}

/** One request with the exact bytes of `target` on the request line (latin1), on a fresh connection. */
export function rawRequest(port: number, target: string, timeoutMs = 5000, method = "GET", headers: Record<string, string> = {}, host = "api"): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(new Error("timeout")), timeoutMs);
    sock.on("connect", () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      sock.write(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`, "latin1"));
    });
    // Envoy waits up to delayed_close_timeout (1 s) for the client to close after a local reply: close as soon as
    // the response is complete.
    sock.on("data", (c: Buffer) => {
      chunks.push(c);
      const raw = Buffer.concat(chunks).toString("latin1");
      const end = raw.indexOf("\r\n\r\n");
      if (end < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(raw.slice(0, end));
      if (len && raw.length - end - 4 >= Number(len[1])) sock.destroy();
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString("latin1");
      if (raw) resolve({ status: statusOf(raw), raw });
      else reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString("latin1");
      resolve({ status: statusOf(raw), raw });
    });
  });
}

function statusOf(raw: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}

export async function envoyCounter(adminPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats?filter=${encodeURIComponent(`^${name.replace(/[.]/g, "\\.")}$`)}`)).text();
  const m = new RegExp(`^${name.replace(/[.]/g, "\\.")}: (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}
