// An async builder awaits a helper that rejects: the rejection is reported where the helper threw.
import { defineMesh, http } from "meshc";
import { loadInventory } from "./inventory.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, async (mesh) => {
  const hosts = await loadInventory("catalog");
  mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: hosts });
});
