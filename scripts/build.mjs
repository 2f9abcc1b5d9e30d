// Builds dist/ from scratch: the CLI (dist/cli.js), the public DSL (dist/dsl.js) and the dashboard's script
// (dist/dashboard.js) bundled with esbuild, and the
// DSL's declarations (dist/types/*.d.ts, tsc with tsconfig.dsl.json) that `import … from "meshc"` resolves to in a
// user's project, so the user's compiler flags check .d.ts files, never meshc's sources. Dependencies stay external:
// they are installed beside the package, and protobufjs/grpc load .proto files from node_modules at run time.
// Writes nothing outside dist/.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
rmSync("dist", { recursive: true, force: true });
const common = { bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", sourcemap: true, logLevel: "warning" };
// Split: `meshc build` imports only the compiler's chunk (src/cli/entry.ts), not the server's packages.
await build({ ...common, entryPoints: { cli: "src/cli/entry.ts" }, outdir: "dist", splitting: true, chunkNames: "chunks/[name]-[hash]", banner: { js: "#!/usr/bin/env node" } });
await build({ ...common, entryPoints: ["src/dsl/index.ts"], outfile: "dist/dsl.js" });
// "meshc/test": the test DSL for *.mesh.test.ts files (meshc test), and the worker that evaluates them.
await build({ ...common, entryPoints: ["src/dsl/testing.ts"], outfile: "dist/testing.js" });
await build({ ...common, sourcemap: false, packages: undefined, entryPoints: ["src/testing/test-worker.ts"], outfile: "dist/test-worker.js" });
// The xDS serving worker of `meshc serve --workers N` (src/serve/cluster/primary.ts forks it beside dist/cli.js).
await build({ ...common, entryPoints: ["src/serve/cluster/worker-main.ts"], outfile: "dist/xds-worker.js" });
// The worker that evaluates mesh.ts (src/frontend/isolate.ts): standalone, no external imports, no source map.
await build({ ...common, sourcemap: false, packages: undefined, entryPoints: ["src/frontend/eval-worker.ts"], outfile: "dist/eval-worker.js" });
// The type-check thread (src/frontend/typecheck-thread.ts): typescript stays an external package.
await build({ ...common, sourcemap: false, entryPoints: ["src/frontend/typecheck-worker.ts"], outfile: "dist/typecheck-worker.js" });
// The admin dashboard's browser script (src/dashboard/page.ts inlines it into the page; same options as there).
await build({ bundle: true, platform: "browser", format: "iife", target: "es2020", minify: true, legalComments: "none", logLevel: "warning", entryPoints: ["src/dashboard/client.ts"], outfile: "dist/dashboard.js" });
// Envoy's schema, precompiled from the .proto files (src/backends/envoy/api/schema-artefact.ts): the generator is
// bundled, run once and removed; meshc falls back to the .proto files when dist/envoy-schema.json is absent or stale.
await build({ ...common, sourcemap: false, entryPoints: ["src/backends/envoy/api/schema-gen.ts"], outfile: "dist/schema-gen.js" });
execFileSync(process.execPath, ["dist/schema-gen.js"], { stdio: "inherit" });
rmSync("dist/schema-gen.js");
chmodSync("dist/cli.js", 0o755);
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.dsl.json"], { stdio: "inherit" });
