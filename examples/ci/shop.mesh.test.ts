// Run in CI beside `meshc check`: `npx meshc test --format github` annotates a failing expectation on its line.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  t.expect(request({ from: "web", to: "catalog", headers: { "x-canary": "1" } })).routesTo({ service: "catalog", subset: "v2" });
  t.expect(request({ from: "web", to: "catalog", path: "/items" })).splits({ v1: 90, v2: 10 }).withTimeout("2s").retries(3);
  t.expect(request({ from: "web", to: "catalog", method: "POST", path: "/orders" })).routesTo({ service: "catalog", subset: "v1" }).withTimeout("3s");
});
