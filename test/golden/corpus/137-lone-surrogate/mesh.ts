// Strings become protobuf strings, which are UTF-8: a lone surrogate ("\uD800" without its pair, easy to produce
// by slicing a string with emoji in the middle of a pair) has no UTF-8 form. It used to reach the encoder and end
// the build with an internal error (exit 2, no position); each one is a MESH0003 where it was written. A complete
// pair (the emoji itself) is fine.
import { defineMesh, http } from "meshc";

const banner = "shop 🛒";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: [{ address: "10.0.1.11", labels: { version: "v2", banner } }],
    subsets: { v2: { version: "v2" } },
  });
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [catalog] });
  mesh.routes(catalog, (r) => [
    r.match({ path: { prefix: `/${banner.slice(0, 6)}` } }).to(catalog.subset("v2")), // expect: MESH0003
    r.match({ path: { prefix: "/cart" } }).to(catalog),
  ]);
});
