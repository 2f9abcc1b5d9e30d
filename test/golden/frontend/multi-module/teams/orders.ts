// The orders team: declares its services outside the mesh (importable references) and its mesh part.
import { defineService, http, type Mesh } from "meshc";
import { apiRoutes } from "../lib/routing.js";

export const orders = defineService("orders", {
  ports: { web: http(8080, { app: 3000 }) },
  instances: [{ address: "10.0.3.1" }, { address: "10.0.3.2" }],
});

export const invoices = defineService("invoices", {
  ports: { web: http(8080, { app: 3000 }) },
  instances: [{ address: "10.0.3.9" }],
});

export function ordersTeam(mesh: Mesh): void {
  mesh.add(orders, invoices);
  mesh.routes(orders, (r) => apiRoutes(r, orders, "2s"));
  mesh.routes(invoices, (r) => apiRoutes(r, invoices, "10s"));
  // orders and invoices call each other: declared after both exist.
  mesh.calls(orders, [invoices]);
  mesh.calls(invoices, [orders]);
}
