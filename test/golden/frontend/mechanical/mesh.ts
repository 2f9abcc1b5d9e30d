// Lowering is mechanical: what analysis must judge stays visible in the IR.
import { defineMesh, defineService, http } from "meshc";

// Declared but never added to the mesh: references to it dangle (kept by name).
const ghost = defineService("ghost", { ports: { web: http(80) }, instances: [] });

export default defineMesh({ name: "mech", trustDomain: "mech.example" }, (mesh) => {
  const a = mesh.service("alpha", { ports: { web: http(8080) }, instances: ["10.0.0.1:8080"], subsets: { v1: { v: "1" } } });
  // A duplicate name: both declarations stay.
  mesh.service("alpha", { ports: { web: http(9090) }, instances: ["10.0.0.2:9090"] });
  const b = mesh.service("beta", { ports: { web: http(8080) }, instances: [], calls: [a, ghost] });

  mesh.routes(a, (r) => [
    // Weights that do not sum to 100 stay as given.
    r.match({ path: { prefix: "/split" } }).split([
      [a.subset("v1"), 70],
      [b, 20],
    ]),
  ]);
  // A second routes() call for the same service appends its routes.
  mesh.routes(a, (r) => [r.match().to(ghost).mirror(b, 5).requestHeaders({ add: { "x-a": "1" } }).requestHeaders({ remove: ["x-b"] })]);
});
