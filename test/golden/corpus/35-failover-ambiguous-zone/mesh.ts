// Locality failover names zone "a", which is a zone of region us and of region ap: a caller in eu cannot tell
// which one is meant (warning only; each caller takes the one in its own region, or none).
import { defineMesh, grpc } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const payments = mesh.service("payments", {
    ports: { api: grpc(9090, { app: 9091 }) },
    instances: [
      { address: "10.0.1.7", locality: { region: "us", zone: "a" } },
      { address: "10.0.2.7", locality: { region: "ap", zone: "a" } },
      { address: "10.0.3.7", locality: { region: "eu", zone: "eu-1" } },
    ],
  });
  mesh.policy(payments, { localityFailover: ["us/a", "a"] }); // expect: MESH0807
});
