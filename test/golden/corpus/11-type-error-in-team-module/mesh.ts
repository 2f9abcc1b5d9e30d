// A type error in an imported team module is reported in that module, at its line.
import { defineMesh, http } from "meshc";
import { payments } from "./payments.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const pay = mesh.include(payments);
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [pay] });
});
