// The storefront team: a mesh part that takes the references it needs and returns its own.
import { http, type Mesh, type ServiceRef } from "meshc";

export function storefrontTeam(mesh: Mesh, deps: { orders: ServiceRef }) {
  const web = mesh.service("storefront", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.1.1:8080"],
    calls: [deps.orders],
  });
  mesh.policy(deps.orders, { connectTimeout: "300ms" });
  return { web };
}
