// npm's `prepare` hook: runs on `npm ci`/`npm install` in this checkout, before `npm pack`/`npm publish`, when npm
// installs meshc from git (`git+file:`, `github:`) and when a checkout is installed as a folder (`npm install ../meshc`),
// so every install route ends with a built dist/.
//   1. The Envoy API typings (src/backends/envoy/generated/, git-ignored, only used to type-check meshc itself) are
//      generated when missing or stale (see typings-stamp.mjs). An up-to-date checkout is left alone, so `npm pack`
//      writes nothing but dist/.
//   2. dist/ is rebuilt (scripts/build.mjs): the CLI and DSL bundles and the DSL's .d.ts files.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root, stampFile, typingsStamp } from "./typings-stamp.mjs";

let stamp;
try {
  stamp = typingsStamp();
} catch {
  // A folder install (`npm install ../meshc`) links this folder without installing its dependencies.
  console.error(`meshc prepare: meshc's dependencies are not installed in ${root}; run \`npm ci\` there first, then install it again.`);
  process.exit(1);
}
if (!existsSync(stampFile) || readFileSync(stampFile, "utf8") !== stamp || !existsSync(join(root, "src/dsl/envoy-api.ts"))) {
  execFileSync(process.execPath, [join(root, "scripts/gen-envoy-types.mjs")], { stdio: "inherit" });
}
execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit", cwd: root });
