// Routing expectations of the telemetry example (examples/telemetry/mesh.ts), checked by `meshc test`.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  t.expect(request({ from: "web", to: "api", path: "/checkout/42" })).usesRoute("checkout").routesTo({ service: "api", subset: "v1" });
  t.expect(request({ from: "web", to: "api", path: "/" })).splits({ v1: 90, v2: 10 });
  // api calls db, which has no routes: the implicit catch-all.
  t.expect(request({ from: "api", to: "db", path: "/anything" })).usesRoute("db-default").routesTo("db");
});
