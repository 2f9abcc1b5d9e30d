// Settings a proxyless grpc-go caller cannot apply (issue 17): a query-parameter match (grpc-go drops the route, so
// its calls fall through) and a mirror (ignored), each reported at the line that set it.
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "pl", trustDomain: "pl.example" }, (mesh) => {
  const greeter = mesh.service("greeter", {
    ports: { grpc: grpc(9090, { app: 19090 }) },
    instances: [
      { address: "10.0.0.1", labels: { version: "v1" } },
      { address: "10.0.0.2", labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  mesh.service("shopper", { ports: { grpc: grpc(9000) }, instances: ["10.0.0.9:9000"], proxyless: { grpc: "go" }, calls: [greeter] });
  mesh.routes(greeter, (r) => [
    r.match({ query: { beta: "1" } }).to(greeter.subset("v2")), // expect: MESH0421
    r.match().to(greeter.subset("v1")).mirror(greeter.subset("v2"), 10), // expect: MESH0420
  ]);
});
