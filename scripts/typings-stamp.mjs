// The stamp of the generated Envoy typings (src/backends/envoy/generated/.stamp): which @grpc/grpc-js-xds release and
// which protos.json they were generated from. gen-envoy-types.mjs writes it; prepare.mjs regenerates only when the
// stamp is missing or differs, so an up-to-date checkout is not rewritten by `npm pack`.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const generatedDir = join(root, "src/backends/envoy/generated");
export const stampFile = join(generatedDir, ".stamp");

/** The expected stamp; throws when meshc's dependencies are not installed. */
export function typingsStamp() {
  const require = createRequire(import.meta.url);
  const xdsVersion = JSON.parse(readFileSync(require.resolve("@grpc/grpc-js-xds/package.json"), "utf8")).version;
  const specHash = createHash("sha256").update(readFileSync(join(root, "src/backends/envoy/api/protos.json"))).digest("hex").slice(0, 16);
  // The DSL's copy (src/dsl/envoy-api.ts) is regenerated when its generator changes.
  const dslHash = createHash("sha256").update(readFileSync(join(root, "scripts/gen-dsl-envoy-types.mjs"))).digest("hex").slice(0, 16);
  return `@grpc/grpc-js-xds@${xdsVersion} protos.json@${specHash} dsl-types@${dslHash}\n`;
}
