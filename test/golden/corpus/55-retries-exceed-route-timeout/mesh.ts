// 1 try + 2 retries × 1s = 3s, but the route gives up after 2s: the last retry is cut off (warning only).
import { defineMesh, http } from "meshc";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const search = mesh.service("search", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.5.10:8080"] });
  mesh.routes(search, (r) => [
    // expect-next-line: MESH0401
    r.match({ method: ["GET", "HEAD"] })
      .to(search)
      .timeout("2s")
      .retries({ attempts: 2, perTry: "1s", on: ["5xx", "reset"] }),
  ]);
});
