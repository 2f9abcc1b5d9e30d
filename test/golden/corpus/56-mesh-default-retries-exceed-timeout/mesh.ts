// Mesh-wide defaults whose retries outlast their own timeout: reported once, at defineMesh() (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh( // expect: MESH0401
  {
    name: "shop",
    trustDomain: "shop.example",
    defaults: { timeout: "1s", retries: { attempts: 3, perTry: "500ms", on: ["connect-failure"] } },
  },
  (mesh) => {
    mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
    mesh.service("cart", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.2.10:8080"] });
  },
);
