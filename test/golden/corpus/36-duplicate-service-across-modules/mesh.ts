// Two modules declare a service named "catalog"; the later declaration (in source order) is reported.
import { defineMesh, http } from "meshc";
import { search } from "./search.js";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  mesh.include(search);
});
