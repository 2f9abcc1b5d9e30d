// npm's `prepare` hook: runs on `npm ci`/`npm install` in this checkout, before `npm pack`/`npm publish`, and when
// npm installs meshc from git (`git+file:`, `github:`), so every install route ends with a built dist/.
//   1. The Envoy API typings (src/backends/envoy/generated/, git-ignored, only used to type-check meshc itself) are
//      generated when missing or stale: a stamp records the @grpc/grpc-js-xds version and protos.json they came
//      from. An up-to-date checkout is left alone, so `npm pack` writes nothing but dist/.
//   2. dist/ is rebuilt (scripts/build.mjs): the CLI and DSL bundles and the DSL's .d.ts files.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const generated = join(root, "src/backends/envoy/generated");
const stampFile = join(generated, ".stamp");
let xdsPackage;
try {
  xdsPackage = require.resolve("@grpc/grpc-js-xds/package.json");
} catch {
  // A folder install (`npm install ../meshc`) links this folder without installing its dependencies.
  console.error(`meshc prepare: meshc's dependencies are not installed in ${root}; run \`npm ci\` there first, then install it again.`);
  process.exit(1);
}
const xdsVersion = JSON.parse(readFileSync(xdsPackage, "utf8")).version;
const specHash = createHash("sha256").update(readFileSync(join(root, "src/backends/envoy/api/protos.json"))).digest("hex").slice(0, 16);
const stamp = `@grpc/grpc-js-xds@${xdsVersion} protos.json@${specHash}\n`;

if (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== stamp) {
  execFileSync(process.execPath, [join(root, "scripts/gen-envoy-types.mjs")], { stdio: "inherit" });
  writeFileSync(stampFile, stamp);
}
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit", cwd: root });
