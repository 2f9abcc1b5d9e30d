// The meshc executable (dist/cli.js). `meshc build` loads only what a build needs (build-only.ts); every other
// command line goes to main.ts. scripts/build.mjs bundles this with code splitting, so the packages only the server,
// the CA and the registry use (gRPC, X.509, etcd, Prometheus, pino) are not loaded by a build.
// `meshc serve` likewise loads only the server (serve-only.ts).
import { tuneJitForBuild } from "../xds/jit.js";

// The build's V8 tuning comes first: it applies to functions loaded after it (src/xds/jit.ts). Every command but
// `meshc serve` (which tunes for serving) runs with it: V8 refuses code cached under other flags, and the type check's
// code cache (src/frontend/typescript-code-cache.ts), written by `meshc build`, is read by `meshc check` and the rest.
if (process.argv[2] === "serve") await import("./serve-only.js");
else {
  tuneJitForBuild();
  await import(process.argv[2] === "build" ? "./build-only.js" : "./main.js");
}
