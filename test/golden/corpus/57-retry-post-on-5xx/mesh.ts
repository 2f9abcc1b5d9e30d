// Retrying order creation (POST) on 5xx may place an order twice (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const orders = mesh.service("orders", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.8.10:8080"] });
  mesh.routes(orders, (r) => [
    r.match({ method: "POST", path: { prefix: "/orders" } }).to(orders).retries({ attempts: 2, on: ["5xx"] }), // expect: MESH0402
    r.match({ method: ["GET", "HEAD"] }).to(orders).retries({ attempts: 2, on: ["5xx"] }),
  ]);
});
