// Two ports of one service on the same number: the sidecar cannot bind both inbound listeners.
import { defineMesh, grpc, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("catalog", {
    ports: {
      web: http(8080, { app: 3000 }),
      rpc: grpc(8080, { app: 3001 }), // expect: MESH0203
    },
    instances: [{ address: "10.0.1.10" }],
  });
});
