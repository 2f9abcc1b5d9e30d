// `meshc run mesh.ts --service S [bootstrap flags] [--envoy path] [-- envoy args]`: renders the service's bootstrap
// to a temp file and runs Envoy on it in the foreground, like a sidecar's entrypoint would.
// - Envoy runs with --disable-hot-restart: meshc is not a hot-restart wrapper, and without it every Envoy on a host
//   competes for base id 0's shared memory and domain socket, so a second sidecar would fail to start. With it,
//   any number of sidecars share a host (each still needs its own admin and listener ports).
// - SIGINT, SIGTERM and SIGHUP are forwarded to Envoy; meshc exits with Envoy's exit code (128 + signal number when
//   Envoy died from a signal) after removing the temp bootstrap.
// - Envoy's stdout and stderr lines are copied to meshc's, each prefixed with "[<service>] ".
import type { Command } from "@commander-js/extra-typings";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { makeTempDir, removeTempDir } from "../../runtime/temp-dirs.js";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ENVOY_PINNED_SERIES, findEnvoy, isEnvoyMissing, isPinnedEnvoyVersion } from "../../runtime/envoy-binary.js";
import { addBootstrapOptions, produceBootstrap, type BootstrapFlags } from "./bootstrap.js";
import { addRegisterOptions, registerFromMesh, type RegisterFlags } from "./register.js";

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function register(program: Command): void {
  const cmd = program
    .command("run")
    .description("start Envoy as the sidecar of one service, from the bootstrap `meshc bootstrap` would print")
    .argument("<mesh>", "the mesh entry file (mesh.ts)")
    .argument("[envoyArgs...]", "extra Envoy arguments, after --");
  addBootstrapOptions(cmd);
  cmd
    .option("--envoy <path>", "Envoy binary (default: $ENVOY_BIN, then envoy on PATH, then the project's .envoy/)")
    .option("--register", "also register this instance in the mesh's registry while Envoy runs (meshc register's flags below; deregistered on SIGTERM)");
  addRegisterOptions(cmd, true);
  cmd
    .action(async (mesh, envoyArgs, opts, self) => {
      const flags = opts as BootstrapFlags & { envoy?: string; register?: boolean } & Partial<RegisterFlags>;
      if (flags.register && flags.address === undefined) return self.error("meshc run: --register needs --address", { exitCode: 2 });
      const dir = makeTempDir(`meshc-run-${flags.service.replace(/[^A-Za-z0-9_.-]/g, "_")}-`);
      // With --ca the proxy's ADS credential files go beside the temp bootstrap (and are removed with it).
      const produced = await produceBootstrap(mesh, flags, self, join(dir, "bootstrap.yaml")).catch((err: unknown) => {
        removeTempDir(dir);
        throw err;
      });
      if (!produced) {
        removeTempDir(dir);
        return; // diagnostics printed, exit code set
      }
      const found = findEnvoy(flags.envoy === undefined ? {} : { flag: flags.envoy });
      if (isEnvoyMissing(found)) {
        removeTempDir(dir);
        return self.error(`meshc run: no Envoy to run (tried: ${found.tried.join("; ")}); ${found.hint}`, { exitCode: 2 });
      }
      if (!isPinnedEnvoyVersion(found.version)) {
        process.stderr.write(`meshc run: warning: ${found.path} is Envoy ${found.version ?? "of unknown version"}; meshc is tested with ${ENVOY_PINNED_SERIES}.x\n`);
      }
      const config = join(dir, `bootstrap.${produced.format}`); // the extension tells Envoy how to parse it
      try {
        writeFileSync(config, produced.text);
        process.stderr.write(`meshc run: Envoy ${found.version ?? "(unknown version)"} at ${found.path} for service ${produced.service}, node ${produced.nodeId}, bootstrap ${config}\n`);
        // --register (issue 16): the entry lives while Envoy runs; SIGTERM/SIGINT revoke it first (callers stop
        // sending before Envoy drains), and it is revoked when Envoy exits.
        const log = (m: string) => process.stderr.write(`meshc run: ${m}\n`);
        const registration = flags.register ? await registerFromMesh(mesh, { ...(flags as RegisterFlags), service: produced.service }, log) : undefined;
        if (flags.register && !registration) return;
        const deregister = () => void registration?.stop();
        process.once("SIGTERM", deregister);
        process.once("SIGINT", deregister);
        try {
          process.exitCode = await runEnvoy({ envoyPath: found.path, configPath: config, prefix: `[${produced.service}] `, extraArgs: envoyArgs });
        } finally {
          process.off("SIGTERM", deregister);
          process.off("SIGINT", deregister);
          await registration?.stop();
        }
      } finally {
        removeTempDir(dir);
      }
    });
}

export interface RunEnvoyOptions {
  envoyPath: string;
  configPath: string;
  /** Prepended to every line Envoy prints. */
  prefix: string;
  extraArgs?: string[];
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Called once Envoy is spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs Envoy in the foreground, forwarding signals and prefixing its output; resolves with the exit code to use. */
export function runEnvoy(opts: RunEnvoyOptions): Promise<number> {
  const args = ["-c", opts.configPath, "--disable-hot-restart", ...(opts.extraArgs ?? [])];
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const child = spawn(opts.envoyPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const piped = Promise.all([pipeLines(child.stdout!, out, opts.prefix), pipeLines(child.stderr!, err, opts.prefix)]);
  const forward = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  opts.onSpawn?.(child);
  return new Promise((resolve) => {
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      for (const sig of FORWARDED) process.off(sig, forward);
      void piped.then(() => resolve(code));
    };
    child.on("error", (e) => {
      err.write(`meshc run: cannot start ${opts.envoyPath}: ${e.message}\n`);
      finish(2);
    });
    child.on("exit", (code, signal) => finish(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)));
  });
}

function pipeLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): Promise<void> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: from, crlfDelay: Infinity });
    rl.on("line", (line) => to.write(`${prefix}${line}\n`));
    rl.on("close", resolve);
  });
}
