// orders is added to the mesh, but the canary route sends 10% to orders-v2, which never was.
import { defineMesh, http } from "meshc";
import { orders, ordersV2 } from "./teams.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.add(orders);
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [orders] });
  mesh.routes(orders, (r) => [
    r.match({ path: { prefix: "/orders" } }).split([ // expect: MESH0101
      [orders, 90],
      [ordersV2, 10],
    ]),
  ]);
});
