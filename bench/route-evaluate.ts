// How fast the route evaluator answers (src/route/, what `meshc test` runs per expectation): compiles a mesh once,
// then evaluates requests round-robin from a small set and prints requests per second.
//   node --import tsx bench/route-evaluate.ts [--mesh examples/shop/mesh.ts] [--n 20000]
import { parseArgs } from "node:util";
import { compileMesh } from "../src/pipeline.js";
import { evaluateRequest, type MeshRequest } from "../src/route/request.js";

const { values } = parseArgs({ options: { mesh: { type: "string", default: "examples/shop/mesh.ts" }, n: { type: "string", default: "20000" } } });
const r = await compileMesh(values.mesh!);
if (!r.ir || !r.snapshot) throw new Error(`the mesh does not compile:\n${r.diagnostics.map((d) => d.message).join("\n")}`);
const reqs: MeshRequest[] = [
  { from: "web", to: "catalog", path: "/items", headers: { "x-canary": "1" } },
  { from: "web", to: "catalog", path: "/items/42?x=1" },
  { from: "web", to: "catalog", method: "POST", path: "/orders" },
  { from: "web", to: "cart", path: "/api/cart/7" },
  { from: "web", to: "cart", path: "/nothing" },
];
const n = Number(values.n);
for (let i = 0; i < 500; i++) evaluateRequest(r.ir, r.snapshot, reqs[i % reqs.length]!); // warm-up
const t0 = performance.now();
for (let i = 0; i < n; i++) evaluateRequest(r.ir, r.snapshot, reqs[i % reqs.length]!);
const ms = performance.now() - t0;
console.log(`${n} requests in ${ms.toFixed(0)} ms: ${Math.round((n / ms) * 1000)} requests/s (${((ms * 1000) / n).toFixed(1)} µs each), mesh ${values.mesh}`);
