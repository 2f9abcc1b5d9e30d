// Bundles the CLI (dist/cli.js) and the public DSL (dist/dsl.js) with esbuild. Dependencies stay external:
// they are installed beside the package, and protobufjs/grpc load .proto files from node_modules at run time.
import { build } from "esbuild";
import { chmodSync } from "node:fs";

const common = { bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", sourcemap: true, logLevel: "warning" };
await build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node" } });
await build({ ...common, entryPoints: ["src/dsl/index.ts"], outfile: "dist/dsl.js" });
chmodSync("dist/cli.js", 0o755);
