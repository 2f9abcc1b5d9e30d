// Two team services declared outside the mesh; each must be added with mesh.add().
import { defineService, http } from "meshc";

export const orders = defineService("orders", {
  ports: { web: http(8080, { app: 3000 }) },
  instances: ["10.0.8.10:8080"],
});

export const ordersV2 = defineService("orders-v2", {
  ports: { web: http(8080, { app: 3000 }) },
  instances: ["10.0.8.20:8080"],
});
