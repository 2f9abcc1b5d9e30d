// Cost of per-locality snapshots (issue 13): translates the synthetic mesh (every service's 3 instances spread over 3
// zones, every upstream with localityFailover) and reports proxies, snapshot variants, distinct encodes, resources
// handed out and the translate time, plus the build directory's file count and bytes.
//   node --import tsx bench/locality-variants.ts [--services N] [--instances K]
import { parseArgs } from "node:util";
import { translateMesh } from "../src/backends/envoy/translate.js";
import { renderBuild } from "../src/build/render.js";
import { syntheticMesh } from "./synthetic-ir.js";

const { values } = parseArgs({ options: { services: { type: "string", default: "1000" }, instances: { type: "string", default: "3" } } });
const ir = syntheticMesh({ services: Number(values.services), instances: Number(values.instances) });
const t0 = performance.now();
const r = translateMesh(ir);
const ms = performance.now() - t0;
let variants = 0;
for (const p of r.snapshot.proxies.values()) variants += p.variants?.size ?? 0;
const t1 = performance.now();
const files = renderBuild(ir.name, r.snapshot);
const renderMs = performance.now() - t1;
let bytes = 0;
for (const text of files.values()) bytes += text.length;
console.log(JSON.stringify({ services: ir.services.length, instancesPerService: Number(values.instances), proxies: r.snapshot.proxies.size, variants, encodes: r.stats.encodes, resourcesHandedOut: r.stats.resources, translateMs: Math.round(ms), files: files.size, buildBytes: bytes, renderMs: Math.round(renderMs), issues: r.issues.length }));
