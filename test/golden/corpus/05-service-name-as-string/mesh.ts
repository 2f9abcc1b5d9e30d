// References are typed values, never free strings: "catalog" in calls and in a route target is a type error.
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  mesh.service("web", {
    ports: { web: http(8080, { app: 3000 }) },
    instances: ["10.0.0.5:8080"],
    calls: ["catalog"], // expect: MESH0001
  });
  mesh.routes(catalog, (r) => [r.match().to("catalog")]); // expect: MESH0001
});
