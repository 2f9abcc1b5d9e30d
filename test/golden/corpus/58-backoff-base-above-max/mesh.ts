// A retry backoff whose base (500ms) is longer than its max (100ms): Envoy rejects it.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  mesh.routes(catalog, (r) => [
    r.match({ method: "GET" }) // expect: MESH0403
      .to(catalog)
      .retries({ attempts: 2, on: ["connect-failure"], backoff: { base: "500ms", max: "100ms" } }),
  ]);
  mesh.policy(catalog, { retries: { attempts: 1, on: ["reset-before-request"], backoff: { base: "2s", max: "1s" } } }); // expect: MESH0403
});
