// Per-try timeouts computed as a third of the route timeout: `${number}ms` type-checks, but 1000 / 3 ms is not a
// whole number of milliseconds, which only the run-time validation sees.
import { defineMesh, http } from "meshc";

const routeTimeoutMs = 1000;
const perTry = `${routeTimeoutMs / 3}ms` as const;

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  mesh.routes(search, (r) => [
    r.match({ method: "GET" })
      .to(search)
      .timeout(`${routeTimeoutMs}ms`)
      .retries({ attempts: 2, perTry, on: ["connect-failure"] }), // expect: MESH0003
  ]);
});
