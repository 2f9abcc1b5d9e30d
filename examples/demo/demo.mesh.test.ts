// Expectations of the demo mesh (examples/demo/mesh.ts), checked against frontend's compiled sidecar by `meshc test`.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  t.expect(request({ from: "frontend", to: "echo", headers: { "x-canary": "1" } })).routesTo({ service: "echo", subset: "v2" });
  t.expect(request({ from: "frontend", to: "echo", path: "/hello" })).splits({ v1: 90, v2: 10 }).withTimeout("5s");
  // Reads of flaky are retried; writes are not (only the mesh default timeout applies).
  t.expect(request({ from: "frontend", to: "flaky" })).routesTo("flaky").withTimeout("3s").retries(3, { on: ["5xx", "reset", "connect-failure"], perTry: "500ms" });
  t.expect(request({ from: "frontend", to: "flaky", method: "POST" })).routesTo("flaky").withTimeout("5s").noRetries();
});
