// `meshc serve <mesh.ts | build-dir>`: the xDS control plane. Serves ADS (SotW and Delta) on --xds, admin HTTP on
// --admin, reloads on change (debounced), keeps the last good snapshot when a change does not compile, and shuts
// down gracefully on SIGTERM/SIGINT.
import type { Command } from "@commander-js/extra-typings";
import { pino } from "pino";
import { startServe } from "../../serve/serve.js";
import { ExposureError, readAdminToken } from "../../serve/exposure.js";

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve a mesh (mesh.ts, compiled in process) or a build directory to Envoy and gRPC clients over xDS")
    .argument("<source>", "mesh entry module (mesh.ts) or a directory written by `meshc build`")
    .option("--xds <host:port>", "ADS gRPC address", "127.0.0.1:18000")
    .option("--admin <host:port>", "admin HTTP address (/healthz /readyz /metrics /debug/*)", "127.0.0.1:18001")
    .option("--strict", "warnings also keep a change from being served")
    .option("--no-watch", "load once; do not reload on change")
    .option("--debounce <ms>", "wait this long after the last change before reloading", "100")
    .option("--log-level <level>", "pino log level", "info")
    .option("--admin-token-file <file>", "bearer token required for /debug/* when --admin is not a loopback address")
    .option("--insecure", "serve ADS in plaintext (what meshc serves today; required with --insecure-allow-remote)")
    .option("--insecure-allow-remote", "allow plaintext ADS on a non-loopback --xds address (warned at start)")
    .option("--ca <dir>", "mesh CA directory (`meshc ca init`): issue each proxy's leaf certificate and serve it over SDS")
    .action(async (source, opts) => {
      const logger = pino({ name: "meshc", level: opts.logLevel });
      let adminToken: string | undefined;
      try {
        if (opts.adminTokenFile) adminToken = readAdminToken(opts.adminTokenFile);
      } catch (err) {
        return program.error(`meshc serve: ${(err as Error).message}`, { exitCode: 2 }) as never;
      }
      const handle = await startServe({
        ...(adminToken !== undefined ? { adminToken } : {}),
        insecure: opts.insecure === true,
        insecureAllowRemote: opts.insecureAllowRemote === true,
        source,
        xdsAddress: opts.xds,
        adminAddress: opts.admin,
        strict: opts.strict === true,
        watch: opts.watch,
        debounceMs: Number(opts.debounce),
        logger,
        ...(opts.ca !== undefined && { caDir: opts.ca }),
      }).catch((err: Error) => {
        if (err instanceof ExposureError) return program.error(`meshc serve: ${err.message}`, { exitCode: 2 }) as never;
        throw err;
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
