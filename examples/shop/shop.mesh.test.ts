// Routing expectations of the shop (examples/shop/mesh.ts), checked by `meshc test` against the compiled Envoy
// configuration of web's sidecar.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  // Testers opt into the canary with a header.
  t.expect(request({ from: "web", to: "catalog", path: "/items", headers: { "x-canary": "1" } }))
    .usesRoute("catalog-canary-optin")
    .routesTo({ service: "catalog", subset: "v2" });
  // Everyone else reading is split 90/10, with 2s overall and 3 retries of 500ms.
  t.expect(request({ from: "web", to: "catalog", path: "/" }))
    .splits({ v1: 90, v2: 10 })
    .withTimeout("2s")
    .retries(3, { on: ["5xx", "reset", "connect-failure"], perTry: "500ms" });
  // Writes go to v1 only, with the mesh default retries.
  t.expect(request({ from: "web", to: "catalog", method: "POST", path: "/items" }))
    .routesTo({ service: "catalog", subset: "v1" })
    .withTimeout("3s")
    .retries(2, { on: ["connect-failure", "refused-stream"] });
  // The cart API is rewritten and tagged on its way.
  t.expect(request({ from: "web", to: "cart", path: "/api/cart/42" }))
    .routesTo("cart")
    .withUpstreamPath("/cart/42")
    .withRequestHeader("x-shop-client", "web")
    .withTimeout("1s");
  t.expect(request({ from: "web", to: "cart", path: "/healthz" })).respondsWith(200, "ok");
  t.expect(request({ from: "web", to: "cart", path: "/other" })).isNotRouted();
  // Customers come in through the edge gateway: from a gateway, the request arrives from outside, by its Host.
  t.expect(request({ from: "edge", to: "edge", authority: "shop.example", path: "/api/cart/7" })).routesTo("cart").withTimeout("3s");
  t.expect(request({ from: "edge", to: "edge", authority: "shop.example", path: "/products" })).routesTo("web").withTimeout("10s");
  t.expect(request({ from: "edge", to: "edge", authority: "www.shop.example", path: "/x" })).redirects({ status: 301 });
  t.expect(request({ from: "edge", to: "edge", authority: "evil.example" })).isNotRouted();
});
