// The mesh the CI example (meshc.yml) checks, builds and diffs: README's quick-start mesh, at the root of your
// repository next to package.json. Copy both files to start.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example", defaults: { timeout: "5s" } }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },            // sidecar on 8080, the app behind it on 3000
    instances: [{ address: "10.0.1.10", labels: { version: "v1" } }, { address: "10.0.1.11", labels: { version: "v2" } }],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [catalog] });
  mesh.routes(catalog, (r) => [
    r.match({ headers: { "x-canary": "1" } }).to(catalog.subset("v2")),
    r.match({ path: { prefix: "/" }, method: ["GET", "HEAD"] })   // reads: safe to retry on 5xx
      .split([[catalog.subset("v1"), 90], [catalog.subset("v2"), 10]])
      .timeout("2s")
      .retries({ attempts: 3, perTry: "500ms", on: ["5xx", "reset", "connect-failure"] }),
    r.match({ path: { prefix: "/" } }).to(catalog.subset("v1")).timeout("3s"), // writes: v1, no 5xx retries
  ]);
  mesh.policy(catalog, { outlierDetection: { consecutive5xx: 5 }, circuitBreaker: { maxRequests: 200 } });
});
