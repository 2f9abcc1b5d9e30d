// The payments team's module is imported under a name that does not exist.
import { defineMesh, http } from "meshc";
import { payments } from "./payment.js"; // expect: MESH0001

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const pay = mesh.include(payments);
  mesh.service("web", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.5:8080"], calls: [pay] }); // expect: MESH0001 (cascade: the import is unresolved, so pay is unknown)
});
