// `meshc serve <mesh.ts | build-dir>`: the xDS control plane. Serves ADS (SotW and Delta) on --xds, admin HTTP on
// --admin, reloads on change (debounced), keeps the last good snapshot when a change does not compile, and shuts
// down gracefully on SIGTERM/SIGINT.
import { Option, type Command } from "@commander-js/extra-typings";
import { createServeLogger } from "../../serve/logger.js";
import { startServe } from "../../serve/serve.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";

export function register(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve a mesh (mesh.ts, compiled in process) or a build directory to Envoy and gRPC clients over xDS")
    .argument("<source>", "mesh entry module (mesh.ts) or a directory written by `meshc build`")
    .option("--xds <host:port>", "ADS gRPC address", "127.0.0.1:18000")
    .option("--admin <host:port>", "admin HTTP address (/healthz /readyz /metrics /debug/*)", "127.0.0.1:18001")
    .option("--strict", "warnings also keep a change from being served")
    .option("--no-watch", "load once; do not reload on change")
    .option("--debounce <ms>", "wait this long after the last change before reloading", "100")
    .option("--poll <ms>", "also re-check the inputs' contents this often (a safety net for missed file events; 0: off)", "2000")
    .option("--state-dir <dir>", "keep the last good snapshot here and serve it at once on the next start (default: .meshc beside the mesh)")
    .option("--no-state", "no warm-start state: compile before serving anything")
    .option("--log-level <level>", "pino log level", "info")
    .addOption(new Option("--log-format <format>", "json lines, or pretty (for people, ISO timestamps)").choices(["json", "pretty"] as const).default("json" as const));
  addEvalOptions(cmd).action(async (source, opts) => {
      const logger = createServeLogger({ level: opts.logLevel, format: opts.logFormat });
      const handle = await startServe({
        source,
        xdsAddress: opts.xds,
        adminAddress: opts.admin,
        strict: opts.strict === true,
        watch: opts.watch,
        debounceMs: Number(opts.debounce),
        pollMs: Number(opts.poll),
        eval: evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }),
        stateDir: opts.state === false ? false : opts.stateDir,
        logger,
      });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, "shutting down");
          void handle.close().then(resolve, resolve);
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
    });
}
