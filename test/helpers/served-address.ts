// A two-service mesh for watch/reload tests whose api address carries a counter, and the address the server
// currently serves web (from its EDS bytes): what is served shows which save was compiled.
import type { ServeHandle } from "../../src/serve/serve.js";

/** mesh.ts text: web calls api at 10.1.0.<n>; `prelude` runs first (e.g. a slow evaluation). */
export function counterMesh(n: number, name: string, prelude = ""): string {
  return `import { defineMesh, http } from "meshc";
${prelude}export default defineMesh({ name: "${name}", trustDomain: "${name}.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.1.0.${n}:8080"] });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.2.0.1:8080"], calls: [api] });
});
`;
}

/** The api address served to web, or undefined. */
export function servedAddress(h: ServeHandle): string | undefined {
  const web = h.xds.snapshot()?.proxies.get("web");
  const eds = web?.resources.endpoint.map((r) => Buffer.from(r.bytes).toString("latin1")).join(" ") ?? "";
  return /10\.1\.0\.\d+/.exec(eds)?.[0];
}
