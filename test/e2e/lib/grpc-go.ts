// Driving test/grpc-go (the grpcgo binary) from end-to-end tests: a backend process serving many instances, and a
// proxyless client process (grpc-go's real xDS resolver) bootstrapped by `meshc bootstrap --grpc`, both speaking
// JSON lines on stdin/stdout (see test/grpc-go/main.go).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { eventually, meshcCommand, type Proc, type Procs } from "./procs.js";

export interface RunResult {
  counts: Record<string, number>;
  errors: Record<string, number>;
}

export interface RunCommand {
  target?: string;
  n: number;
  concurrency?: number;
  failFirst?: number;
  idPrefix?: string;
  metadata?: Record<string, string>;
  /** Values with "%d" replaced by the call's index. */
  metadataPerCall?: Record<string, string>;
}

/** A process answering one JSON line per command line. */
export class LineProc {
  private readonly lines: string[] = [];
  proc!: Proc;
  label = "process";
  push(line: string) {
    this.lines.push(line);
  }
  async next(timeoutMs: number): Promise<any> {
    await eventually(() => this.lines.length > 0 || !this.proc.running, `${this.label} to answer`, timeoutMs, 20);
    if (!this.lines.length) throw new Error(`${this.label} exited:\n${this.proc.tail(30)}`);
    return JSON.parse(this.lines.shift()!);
  }
  async send(line: string, timeoutMs: number): Promise<any> {
    this.proc.child.stdin!.write(`${line}\n`);
    return this.next(timeoutMs);
  }
}

export class GoClient extends LineProc {
  run(cmd: RunCommand): Promise<RunResult> {
    return this.send(JSON.stringify({ op: "run", ...cmd }), cmd.n * 6000 + 20_000) as Promise<RunResult>;
  }
}

export class GoBackends extends LineProc {
  async stats(): Promise<{ calls: Record<string, number>; attempts: Record<string, number> }> {
    return this.send("stats", 10_000);
  }
  async reset(): Promise<void> {
    await this.send("reset", 10_000);
  }
}

/** `grpcgo server` with one `--listen host:port=version[/delay][/fail]` per instance. */
export async function startGoBackends(procs: Procs, bin: string, listens: string[], name = "grpcgo-server"): Promise<GoBackends> {
  const b = new GoBackends();
  b.label = name;
  b.proc = procs.start({ name, cmd: bin, args: ["server", ...listens.flatMap((l) => ["--listen", l])], stdin: true, onLine: (l) => b.push(l) });
  const first = await b.next(30_000);
  if (first.listening !== listens.length) throw new Error(`grpcgo server: ${JSON.stringify(first)}`);
  return b;
}

/** The proxyless client's bootstrap, exactly as `meshc bootstrap --grpc` prints it. */
export async function grpcBootstrap(mesh: string, service: string, instance: string, xdsPort: number): Promise<string> {
  const c = meshcCommand(["bootstrap", mesh, "--service", service, "--instance", instance, "--grpc", "--xds", `127.0.0.1:${xdsPort}`]);
  const { stdout } = await promisify(execFile)(c.cmd, c.args, { timeout: 180_000 });
  return stdout;
}

/** `grpcgo client <target>` with GRPC_XDS_BOOTSTRAP_CONFIG; resolves once it printed {"ready":true}. */
export async function startGoClient(procs: Procs, bin: string, target: string, bootstrap: string, name = "grpcgo-client"): Promise<GoClient> {
  const c = new GoClient();
  c.label = name;
  c.proc = procs.start({ name, cmd: bin, args: ["client", target], env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap }, stdin: true, onLine: (l) => c.push(l) });
  const first = await c.next(30_000);
  if (first.ready !== true) throw new Error(`grpcgo client: ${JSON.stringify(first)}`);
  return c;
}
