// A mesh split across team modules: one team declares services with defineService and adds them; another is a
// mesh part receiving references; a helper module builds routes for both.
import { defineMesh } from "meshc";
import { orders, ordersTeam } from "./teams/orders.js";
import { storefrontTeam } from "./teams/storefront.js";

export default defineMesh({ name: "multi", trustDomain: "multi.example" }, (mesh) => {
  mesh.include(ordersTeam);
  const { web } = mesh.include((m) => storefrontTeam(m, { orders }));
  mesh.policy(web, { timeout: "1s" });
});
