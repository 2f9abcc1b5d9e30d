// A mesh split over team modules: findings are reported in each team's file, at its own lines.
import { defineMesh, http } from "meshc";
import { catalog } from "./catalog.js";
import { ledger } from "./ledger.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const cat = mesh.include(catalog);
  const db = mesh.include(ledger);
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [cat] });
  mesh.routes(cat, (r) => [r.match({ path: { prefix: "/admin" } }).to(db)]); // expect: MESH0304 MESH0303
});
