// Locality failover names eu-west-1c, a zone no payments instance runs in (warning only).
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const payments = mesh.service("payments", {
    ports: { api: grpc(9090, { app: 9091 }) },
    instances: [
      { address: "10.0.1.7", locality: { region: "eu-west-1", zone: "eu-west-1a" } },
      { address: "10.0.2.7", locality: { region: "eu-west-1", zone: "eu-west-1b" } },
    ],
  });
  mesh.policy(payments, { localityFailover: ["eu-west-1a", "eu-west-1c"] }); // expect: MESH0107
});
