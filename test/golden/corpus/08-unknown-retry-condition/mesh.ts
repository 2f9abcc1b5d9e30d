// Retry conditions are Envoy's names: "timeout" is not one (per-try timeouts are set with perTry).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  mesh.routes(search, (r) => [
    r.match({ method: "GET" })
      .to(search)
      .retries({ attempts: 2, perTry: "200ms", on: ["5xx", "timeout"] }), // expect: MESH0001
  ]);
});
