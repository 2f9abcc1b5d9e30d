// Child processes for end-to-end tests and the demo: each in its own process group (so meshc run's Envoy dies with
// it), output appended to a log file and kept as a short tail for failure messages, and stopped for sure
// (SIGTERM, then SIGKILL to the group after a bound).
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, statSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Newest modification time of any file under `dir` (0 when there is none). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/cli.js, when it exists and is at least as new as every file in src/ (as after `npm run build`). */
export function freshDistCli(): string | undefined {
  const dist = join(REPO_ROOT, "dist", "cli.js");
  try {
    return statSync(dist).mtimeMs >= newestMtime(join(REPO_ROOT, "src")) ? dist : undefined;
  } catch {
    return undefined;
  }
}

let cliChoice: string | undefined | null = null;

/**
 * How to run the meshc CLI: the bundled dist/cli.js when it is up to date with src/ (`npm test` builds it first),
 * else the sources through tsx. MESHC_CLI=tsx or MESHC_CLI=dist forces one (dist must exist).
 */
export function meshcCommand(args: string[]): { cmd: string; args: string[] } {
  if (cliChoice === null) {
    const forced = process.env.MESHC_CLI;
    cliChoice = forced === "tsx" ? undefined : forced === "dist" ? join(REPO_ROOT, "dist", "cli.js") : freshDistCli();
  }
  const dist = cliChoice;
  return dist
    ? { cmd: process.execPath, args: [dist, ...args] }
    : { cmd: process.execPath, args: ["--import", "tsx", join(REPO_ROOT, "src", "cli", "main.ts"), ...args] };
}

/**
 * Runs a meshc command to completion WITHOUT blocking this process (unlike spawnSync). The e2e tests host apps
 * (test/apps/http-app.ts) and traffic loops in the test process itself: a spawnSync of `meshc ca rotate` (11-15 s
 * of CLI start-up on a loaded machine) froze them, so the requests in flight got no answer and their 10 s timeouts
 * fired as soon as the event loop resumed (the "lost requests" of mtls-rotation and mtls-delta, issue 12).
 */
export function runMeshc(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const c = meshcCommand(args);
  return new Promise((resolve) => {
    const child = spawn(c.cmd, c.args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d));
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    child.on("error", (e) => resolve({ status: null, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A TypeScript module run by node through tsx (test apps, the proxyless client). */
export function tsxCommand(file: string, args: string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ["--import", "tsx", file, ...args] };
}

// Process groups are detached, so they would outlive a parent that dies without running its cleanup (a test
// runner killing a timed-out file, an uncaught error). Every group not yet stopped when this process exits is
// killed then, synchronously.
const live = new Set<Proc>();
process.once("exit", () => {
  for (const p of live) p.signal("SIGKILL");
});

export interface ProcOptions {
  name: string;
  cmd: string;
  args: string[];
  /** Output is appended here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open as a pipe (for processes driven by commands). */
  stdin?: boolean;
  /** Called with each complete stdout line. */
  onLine?: (line: string) => void;
}

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly tailLines: string[] = [];
  private readonly log: WriteStream;

  constructor(readonly opts: ProcOptions) {
    this.log = createWriteStream(opts.logFile, { flags: "a" });
    this.log.write(`--- ${new Date().toISOString()} ${opts.name}: ${opts.cmd} ${opts.args.join(" ")}\n`);
    this.child = spawn(opts.cmd, opts.args, {
      cwd: REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true, // its own process group: stop() reaches grandchildren (Envoy under meshc run)
    });
    live.add(this);
    let partial = "";
    const keep = (chunk: Buffer, isStdout: boolean) => {
      const text = chunk.toString("utf8");
      // Output can still arrive after stop() ended the log (pipes drain after the exit event): keep it in the tail only.
      if (!this.log.writableEnded) this.log.write(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        this.tailLines.push(l);
        if (isStdout) opts.onLine?.(l);
      }
      if (this.tailLines.length > 200) this.tailLines.splice(0, this.tailLines.length - 200);
    };
    this.child.stdout!.on("data", (c: Buffer) => keep(c, true));
    this.child.stderr!.on("data", (c: Buffer) => keep(c, false));
    this.exited = new Promise((resolve) => {
      this.child.once("error", (e) => {
        this.log.write(`spawn error: ${e.message}\n`);
        resolve({ code: null, signal: null });
      });
      this.child.once("exit", (code, signal) => {
        this.log.write(`--- ${opts.name} exited (code ${code}, signal ${signal})\n`);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** The last lines of output (stdout and stderr interleaved). */
  tail(n = 40): string {
    return this.tailLines.slice(-n).join("\n");
  }

  /** Signals the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL to the group if it has not exited within graceMs. Always resolves. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.running) {
      this.signal("SIGTERM");
      const timer = new Promise<"late">((r) => setTimeout(() => r("late"), graceMs).unref());
      if ((await Promise.race([this.exited, timer])) === "late") this.signal("SIGKILL");
    }
    this.signal("SIGKILL"); // leftovers in the group (an Envoy whose parent died first)
    live.delete(this);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

/** Every process a test or the demo started; stopAll() in after()/finally. */
export class Procs {
  readonly list: Proc[] = [];
  constructor(readonly logDir: string) {}

  start(opts: Omit<ProcOptions, "logFile"> & { logFile?: string }): Proc {
    const p = new Proc({ ...opts, logFile: opts.logFile ?? join(this.logDir, `${opts.name}.log`) });
    this.list.push(p);
    return p;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list.map((p) => p.stop()));
  }

  /** Tails of every process, for a failure message. */
  tails(n = 25): string {
    return this.list.map((p) => `--- ${p.opts.name} (${p.running ? "running" : "exited"}; log ${p.opts.logFile}) ---\n${p.tail(n)}`).join("\n");
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by a check to end eventually() at once (the condition can no longer become true). */
export class StopPolling extends Error {}

/**
 * Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws, naming `what` and the
 * last error). A check that throws counts as "not yet".
 */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000, intervalMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (e) {
      if (e instanceof StopPolling) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? String(last)}` : ""}`);
    await sleep(intervalMs);
  }
}
