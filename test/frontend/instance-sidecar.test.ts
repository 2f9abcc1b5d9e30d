// Lowering an instance's own sidecar ports (issue 13 item 7): each field is the instance's or the service's; its TCP
// upstreams keep the service's local ports unless it moves its outbound listener, then they follow it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineMesh, http, tcp, type Mesh } from "../../src/dsl/index.js";
import { lower } from "../../src/frontend/lower.js";
import { validateModel } from "../../src/frontend/validate.js";

function build(fn: (mesh: Mesh) => void) {
  const model = defineMesh({ name: "m", trustDomain: "t.example" }, fn);
  assert.deepEqual(validateModel(model), [], "the model is valid");
  return lower(model, process.cwd());
}

test("instance sidecar ports: the instance's own, else the service's; TCP ports follow a moved outbound listener", () => {
  const r = build((mesh) => {
    const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: ["10.0.9.1:5432"], nonMesh: true });
    mesh.service("web", {
      ports: { web: http(8080, { app: 3000 }) },
      instances: [
        { address: "127.0.0.1", ports: { web: 8081 }, sidecar: { adminPort: 15100, outboundPort: 15101, app: { web: 3001 } } },
        { address: "127.0.0.1", ports: { web: 8082 }, sidecar: { app: { web: 3002 } } },
        { address: "10.0.0.3" },
      ],
      calls: [db],
      sidecar: { adminPort: 15000, outboundPort: 15001 },
    });
  });
  const web = r.ir.services.find((s) => s.name === "web")!;
  assert.equal(web.instances.kind, "static");
  const eps = web.instances.kind === "static" ? web.instances.endpoints : [];
  assert.deepEqual(web.sidecar.tcpOutbound, { "db:sql": 15002 });
  assert.deepEqual(eps[0]!.sidecar, { adminPort: 15100, outboundPort: 15101, appPorts: { web: 3001 }, tcpOutbound: { "db:sql": 15102 } });
  assert.deepEqual(eps[1]!.sidecar, { adminPort: 15000, outboundPort: 15001, appPorts: { web: 3002 }, tcpOutbound: { "db:sql": 15002 } });
  assert.equal(eps[2]!.sidecar, undefined, "an instance without sidecar uses the service's ports");
});
